-- Each customer's open balance per currency, kept with the invoices and write-offs; the
-- file's SQLite migration 38 says what it serves and what each trigger means.
CREATE TABLE customer_balances (
    customer_id BIGINT NOT NULL,
    currency    TEXT NOT NULL,
    open_minor  BIGINT NOT NULL,
    open_count  BIGINT NOT NULL,
    PRIMARY KEY (customer_id, currency)
);
CREATE INDEX customer_balances_by_amount ON customer_balances(currency, open_minor, customer_id);

INSERT INTO customer_balances (customer_id, currency, open_minor, open_count)
    SELECT i.customer_id, i.currency, SUM((CASE WHEN i.total_minor - i.settled_minor > 1000000000000000 THEN 1000000000000000 ELSE i.total_minor - i.settled_minor END)), COUNT(*)
      FROM invoices i
     WHERE i.settled_minor < i.total_minor
       AND NOT EXISTS (SELECT 1 FROM invoice_closures x
                        WHERE x.invoice_id = i.id AND x.kind = 'write_off')
     GROUP BY i.customer_id, i.currency;

-- The roles already let into the ledger read it (and `relance check --rebuild` writes it).
DO $$
DECLARE r record;
BEGIN
    FOR r IN SELECT DISTINCT grantee FROM information_schema.role_table_grants
              WHERE table_schema = current_schema() AND table_name = 'invoices'
                AND privilege_type = 'INSERT' AND grantee <> current_user
    LOOP
        EXECUTE format('GRANT SELECT, INSERT, UPDATE, DELETE ON customer_balances TO %I', r.grantee);
    END LOOP;
END $$;

-- One invoice's share moved in or out of its customer's balance; a row left with no open
-- invoice goes. Called only by the trigger function below (which runs as the ledger's
-- owner): no one else may run it.
CREATE FUNCTION relance_balance_move(customer BIGINT, cur TEXT, amount BIGINT, n BIGINT)
    RETURNS void LANGUAGE plpgsql SET search_path FROM CURRENT AS $$
BEGIN
    INSERT INTO customer_balances AS b (customer_id, currency, open_minor, open_count)
        VALUES (customer, cur, amount, n)
        ON CONFLICT (customer_id, currency) DO UPDATE
            SET open_minor = b.open_minor + excluded.open_minor,
                open_count = b.open_count + excluded.open_count;
    DELETE FROM customer_balances
     WHERE customer_id = customer AND currency = cur AND open_count = 0;
END $$;
REVOKE EXECUTE ON FUNCTION relance_balance_move(BIGINT, TEXT, BIGINT, BIGINT) FROM PUBLIC;

CREATE FUNCTION relance_customer_balance() RETURNS trigger LANGUAGE plpgsql
    SECURITY DEFINER SET search_path FROM CURRENT AS $$
DECLARE i record;
BEGIN
    IF TG_TABLE_NAME = 'invoices' THEN
        IF TG_OP IN ('UPDATE', 'DELETE') THEN
            IF OLD.settled_minor < OLD.total_minor AND NOT EXISTS (
                   SELECT 1 FROM invoice_closures x
                    WHERE x.invoice_id = OLD.id AND x.kind = 'write_off') THEN
                PERFORM relance_balance_move(OLD.customer_id, OLD.currency,
                                             -(CASE WHEN OLD.total_minor - OLD.settled_minor > 1000000000000000 THEN 1000000000000000 ELSE OLD.total_minor - OLD.settled_minor END), -1);
            END IF;
        END IF;
        IF TG_OP IN ('INSERT', 'UPDATE') THEN
            IF NEW.settled_minor < NEW.total_minor AND NOT EXISTS (
                   SELECT 1 FROM invoice_closures x
                    WHERE x.invoice_id = NEW.id AND x.kind = 'write_off') THEN
                PERFORM relance_balance_move(NEW.customer_id, NEW.currency,
                                             (CASE WHEN NEW.total_minor - NEW.settled_minor > 1000000000000000 THEN 1000000000000000 ELSE NEW.total_minor - NEW.settled_minor END), 1);
            END IF;
        END IF;
    ELSE
        -- A write-off takes its open invoice out; its removal puts it back.
        IF TG_OP IN ('UPDATE', 'DELETE') THEN
            IF OLD.kind = 'write_off' THEN
                FOR i IN SELECT customer_id, currency, (CASE WHEN total_minor - settled_minor > 1000000000000000 THEN 1000000000000000 ELSE total_minor - settled_minor END) AS due
                           FROM invoices WHERE id = OLD.invoice_id
                            AND settled_minor < total_minor LOOP
                    PERFORM relance_balance_move(i.customer_id, i.currency, i.due, 1);
                END LOOP;
            END IF;
        END IF;
        IF TG_OP IN ('INSERT', 'UPDATE') THEN
            IF NEW.kind = 'write_off' THEN
                FOR i IN SELECT customer_id, currency, (CASE WHEN total_minor - settled_minor > 1000000000000000 THEN 1000000000000000 ELSE total_minor - settled_minor END) AS due
                           FROM invoices WHERE id = NEW.invoice_id
                            AND settled_minor < total_minor LOOP
                    PERFORM relance_balance_move(i.customer_id, i.currency, -i.due, -1);
                END LOOP;
            END IF;
        END IF;
    END IF;
    RETURN NULL;
END $$;

CREATE TRIGGER customer_balance_invoice_new AFTER INSERT ON invoices FOR EACH ROW
    WHEN (NEW.settled_minor < NEW.total_minor)
    EXECUTE FUNCTION relance_customer_balance();
CREATE TRIGGER customer_balance_invoice
    AFTER UPDATE OF total_minor, settled_minor, customer_id, currency ON invoices FOR EACH ROW
    EXECUTE FUNCTION relance_customer_balance();
CREATE TRIGGER customer_balance_invoice_gone AFTER DELETE ON invoices FOR EACH ROW
    WHEN (OLD.settled_minor < OLD.total_minor)
    EXECUTE FUNCTION relance_customer_balance();
CREATE TRIGGER customer_balance_closure_new AFTER INSERT ON invoice_closures FOR EACH ROW
    WHEN (NEW.kind = 'write_off')
    EXECUTE FUNCTION relance_customer_balance();
CREATE TRIGGER customer_balance_closure AFTER UPDATE OF kind, invoice_id ON invoice_closures
    FOR EACH ROW
    WHEN ((OLD.kind = 'write_off') <> (NEW.kind = 'write_off') OR OLD.invoice_id <> NEW.invoice_id)
    EXECUTE FUNCTION relance_customer_balance();
CREATE TRIGGER customer_balance_closure_gone AFTER DELETE ON invoice_closures FOR EACH ROW
    WHEN (OLD.kind = 'write_off')
    EXECUTE FUNCTION relance_customer_balance();
