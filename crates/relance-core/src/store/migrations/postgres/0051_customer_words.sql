-- Issue 23: each customer's name words for the bank matcher's narrowed book; the file's
-- migration 51 says what each table and trigger means.
CREATE TABLE customer_words (
    word        TEXT COLLATE "C" NOT NULL,
    customer_id BIGINT NOT NULL,
    PRIMARY KEY (word, customer_id)
);
CREATE INDEX customer_words_customer ON customer_words(customer_id);
CREATE TABLE customer_words_stale (
    customer_id BIGINT PRIMARY KEY
);
SELECT relance_grant_admitted('customer_words');
SELECT relance_grant_admitted('customer_words_stale');
INSERT INTO customer_words_stale (customer_id) SELECT id FROM customers;

CREATE FUNCTION relance_customer_words() RETURNS trigger LANGUAGE plpgsql
    SECURITY DEFINER SET search_path FROM CURRENT AS $$
BEGIN
    IF TG_OP = 'DELETE' THEN
        DELETE FROM customer_words WHERE customer_id = OLD.id;
        DELETE FROM customer_words_stale WHERE customer_id = OLD.id;
    ELSE
        INSERT INTO customer_words_stale (customer_id) VALUES (NEW.id) ON CONFLICT DO NOTHING;
    END IF;
    RETURN NULL;
END $$;

CREATE TRIGGER customer_words_new AFTER INSERT ON customers FOR EACH ROW
    EXECUTE FUNCTION relance_customer_words();
CREATE TRIGGER customer_words_renamed AFTER UPDATE OF id, name ON customers FOR EACH ROW
    EXECUTE FUNCTION relance_customer_words();
CREATE TRIGGER customer_words_gone AFTER DELETE ON customers FOR EACH ROW
    EXECUTE FUNCTION relance_customer_words();
