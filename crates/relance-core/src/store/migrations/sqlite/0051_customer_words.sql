-- Issue 23. The bank matcher's rule 4 (a payer's name like a customer's) tries only the
-- customers sharing a name word with the payer: a narrowed book (bank::book) finds them
-- through each customer's name words kept here, rather than every customer's name read and
-- split for a few statement lines. The words are the matcher's (bank::matching::name_words:
-- folded, upper-cased, short ones and legal forms left out), computed in Rust: a customer
-- added or renamed is marked in customer_words_stale by the triggers below, in the same
-- transaction, and a marked customer is read from their name until a refresh
-- (bank::book::refresh_words: at each start, in a bank import, `relance check --rebuild`)
-- writes their words. Every customer is marked here: the first refresh writes them all.
CREATE TABLE customer_words (
    word        TEXT NOT NULL,
    customer_id INTEGER NOT NULL,
    PRIMARY KEY (word, customer_id)
) STRICT, WITHOUT ROWID;
CREATE INDEX customer_words_customer ON customer_words(customer_id);
CREATE TABLE customer_words_stale (
    customer_id INTEGER PRIMARY KEY
) STRICT;
INSERT INTO customer_words_stale (customer_id) SELECT id FROM customers;
CREATE TRIGGER customer_words_new AFTER INSERT ON customers BEGIN
    INSERT INTO customer_words_stale (customer_id) VALUES (NEW.id) ON CONFLICT DO NOTHING;
END;
CREATE TRIGGER customer_words_renamed AFTER UPDATE OF id, name ON customers BEGIN
    INSERT INTO customer_words_stale (customer_id) VALUES (NEW.id) ON CONFLICT DO NOTHING;
END;
CREATE TRIGGER customer_words_gone AFTER DELETE ON customers BEGIN
    DELETE FROM customer_words WHERE customer_id = OLD.id;
    DELETE FROM customer_words_stale WHERE customer_id = OLD.id;
END;
