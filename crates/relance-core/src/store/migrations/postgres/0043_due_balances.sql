-- The headline figures read two kept summaries, moved by the customers' balances' trigger
-- function: `due_balances` (per currency and due date) and `customer_balances.oldest_due`;
-- the file's SQLite migration 43 says what each serves.
ALTER TABLE customer_balances ADD COLUMN oldest_due TEXT NOT NULL DEFAULT '';
UPDATE customer_balances b SET oldest_due = COALESCE((
    SELECT MIN(i.due_date) FROM invoices i
     WHERE i.customer_id = b.customer_id AND i.currency = b.currency
       AND i.settled_minor < i.total_minor
       AND NOT EXISTS (SELECT 1 FROM invoice_closures x
                        WHERE x.invoice_id = i.id AND x.kind = 'write_off')), '');

CREATE TABLE oldest_dues (
    currency   TEXT NOT NULL,
    oldest_due TEXT NOT NULL,
    customers  BIGINT NOT NULL,
    PRIMARY KEY (currency, oldest_due)
);
INSERT INTO oldest_dues (currency, oldest_due, customers)
    SELECT currency, oldest_due, COUNT(*) FROM customer_balances WHERE oldest_due <> ''
     GROUP BY currency, oldest_due;

-- A balance's earliest due date counted where it is ('' while a trigger computes it: not
-- counted), and taken away from where it was.
CREATE FUNCTION relance_oldest_dues() RETURNS trigger LANGUAGE plpgsql
    SECURITY DEFINER SET search_path FROM CURRENT AS $$
BEGIN
    IF TG_OP IN ('UPDATE', 'DELETE') AND OLD.oldest_due <> '' THEN
        UPDATE oldest_dues SET customers = customers - 1
         WHERE currency = OLD.currency AND oldest_due = OLD.oldest_due;
        DELETE FROM oldest_dues
         WHERE currency = OLD.currency AND oldest_due = OLD.oldest_due AND customers = 0;
    END IF;
    IF TG_OP IN ('INSERT', 'UPDATE') AND NEW.oldest_due <> '' THEN
        INSERT INTO oldest_dues AS o (currency, oldest_due, customers)
            VALUES (NEW.currency, NEW.oldest_due, 1)
            ON CONFLICT (currency, oldest_due) DO UPDATE SET customers = o.customers + 1;
    END IF;
    RETURN NULL;
END $$;
CREATE TRIGGER oldest_due_new AFTER INSERT ON customer_balances FOR EACH ROW
    WHEN (NEW.oldest_due <> '')
    EXECUTE FUNCTION relance_oldest_dues();
CREATE TRIGGER oldest_due_moved AFTER UPDATE OF currency, oldest_due ON customer_balances
    FOR EACH ROW
    WHEN (OLD.currency <> NEW.currency OR OLD.oldest_due <> NEW.oldest_due)
    EXECUTE FUNCTION relance_oldest_dues();
CREATE TRIGGER oldest_due_gone AFTER DELETE ON customer_balances FOR EACH ROW
    WHEN (OLD.oldest_due <> '')
    EXECUTE FUNCTION relance_oldest_dues();

CREATE TABLE due_balances (
    currency    TEXT NOT NULL,
    due_date    TEXT NOT NULL,
    open_minor  BIGINT NOT NULL,
    open_count  BIGINT NOT NULL,
    PRIMARY KEY (currency, due_date)
);
INSERT INTO due_balances (currency, due_date, open_minor, open_count)
    SELECT i.currency, i.due_date, SUM((CASE WHEN i.total_minor - i.settled_minor > 1000000000000000 THEN 1000000000000000 ELSE i.total_minor - i.settled_minor END)), COUNT(*)
      FROM invoices i
     WHERE i.settled_minor < i.total_minor
       AND NOT EXISTS (SELECT 1 FROM invoice_closures x
                        WHERE x.invoice_id = i.id AND x.kind = 'write_off')
     GROUP BY i.currency, i.due_date;

-- The roles already let into the ledger read it (and `relance check --rebuild` writes it).
DO $$
DECLARE r record;
BEGIN
    FOR r IN SELECT DISTINCT grantee FROM information_schema.role_table_grants
              WHERE table_schema = current_schema() AND table_name = 'invoices'
                AND privilege_type = 'INSERT' AND grantee <> current_user
    LOOP
        EXECUTE format('GRANT SELECT, INSERT, UPDATE, DELETE ON due_balances, oldest_dues TO %I', r.grantee);
    END LOOP;
END $$;

-- One invoice's share moved in or out of its due date's row; a row left with no open
-- invoice goes. Called only by the trigger function below: no one else may run it.
-- (Only a share taken away can leave a row empty: the DELETE is asked only then. Within
-- one transaction every version of a row stays until the commit, and each statement on it
-- walks them: an import of many invoices due the same day rewrites one row per invoice.)
CREATE FUNCTION relance_due_move(cur TEXT, due TEXT, amount BIGINT, n BIGINT)
    RETURNS void LANGUAGE plpgsql SET search_path FROM CURRENT AS $$
BEGIN
    INSERT INTO due_balances AS d (currency, due_date, open_minor, open_count)
        VALUES (cur, due, amount, n)
        ON CONFLICT (currency, due_date) DO UPDATE
            SET open_minor = d.open_minor + excluded.open_minor,
                open_count = d.open_count + excluded.open_count;
    IF n < 0 THEN
        DELETE FROM due_balances WHERE currency = cur AND due_date = due AND open_count = 0;
    END IF;
END $$;

-- The customers' balances' move (migration 38), the same way: the DELETE only after a share
-- taken away.
CREATE OR REPLACE FUNCTION relance_balance_move(customer BIGINT, cur TEXT, amount BIGINT, n BIGINT)
    RETURNS void LANGUAGE plpgsql SET search_path FROM CURRENT AS $$
BEGIN
    INSERT INTO customer_balances AS b (customer_id, currency, open_minor, open_count)
        VALUES (customer, cur, amount, n)
        ON CONFLICT (customer_id, currency) DO UPDATE
            SET open_minor = b.open_minor + excluded.open_minor,
                open_count = b.open_count + excluded.open_count;
    IF n < 0 THEN
        DELETE FROM customer_balances
         WHERE customer_id = customer AND currency = cur AND open_count = 0;
    END IF;
END $$;
REVOKE EXECUTE ON FUNCTION relance_due_move(TEXT, TEXT, BIGINT, BIGINT) FROM PUBLIC;

-- A customer's earliest due date among their counted open invoices, per currency, computed
-- again: the first in the customer's open invoices' index (written as an ORDER BY, which the
-- planner reads from that index; a MIN it may read from the due dates of every invoice).
-- Called only by the trigger function below.
CREATE FUNCTION relance_oldest_due(customer BIGINT)
    RETURNS void LANGUAGE plpgsql SET search_path FROM CURRENT AS $$
BEGIN
    -- (a row written only when its date changes: a row version per payment otherwise)
    UPDATE customer_balances b SET oldest_due = o.due
      FROM (SELECT c.currency, COALESCE((
                SELECT i.due_date FROM invoices i
                 WHERE i.customer_id = c.customer_id AND i.currency = c.currency
                   AND i.settled_minor < i.total_minor
                   AND NOT EXISTS (SELECT 1 FROM invoice_closures x
                                    WHERE x.invoice_id = i.id AND x.kind = 'write_off')
                 ORDER BY i.customer_id, i.due_date LIMIT 1), '') AS due
              FROM customer_balances c WHERE c.customer_id = customer) o
     WHERE b.customer_id = customer AND b.currency = o.currency AND b.oldest_due <> o.due;
END $$;
REVOKE EXECUTE ON FUNCTION relance_oldest_due(BIGINT) FROM PUBLIC;

CREATE OR REPLACE FUNCTION relance_customer_balance() RETURNS trigger LANGUAGE plpgsql
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
                PERFORM relance_due_move(OLD.currency, OLD.due_date,
                                         -(CASE WHEN OLD.total_minor - OLD.settled_minor > 1000000000000000 THEN 1000000000000000 ELSE OLD.total_minor - OLD.settled_minor END), -1);
            END IF;
        END IF;
        IF TG_OP IN ('INSERT', 'UPDATE') THEN
            IF NEW.settled_minor < NEW.total_minor AND NOT EXISTS (
                   SELECT 1 FROM invoice_closures x
                    WHERE x.invoice_id = NEW.id AND x.kind = 'write_off') THEN
                PERFORM relance_balance_move(NEW.customer_id, NEW.currency,
                                             (CASE WHEN NEW.total_minor - NEW.settled_minor > 1000000000000000 THEN 1000000000000000 ELSE NEW.total_minor - NEW.settled_minor END), 1);
                PERFORM relance_due_move(NEW.currency, NEW.due_date,
                                         (CASE WHEN NEW.total_minor - NEW.settled_minor > 1000000000000000 THEN 1000000000000000 ELSE NEW.total_minor - NEW.settled_minor END), 1);
                -- An invoice added only lowers its customer's earliest due date (the row
                -- written only then: an import of many invoices for one customer would
                -- otherwise rewrite it once per invoice).
                IF TG_OP = 'INSERT' THEN
                    UPDATE customer_balances SET oldest_due = NEW.due_date
                     WHERE customer_id = NEW.customer_id AND currency = NEW.currency
                       AND (oldest_due = '' OR NEW.due_date < oldest_due);
                END IF;
            END IF;
        END IF;
        IF TG_OP IN ('UPDATE', 'DELETE') THEN
            PERFORM relance_oldest_due(OLD.customer_id);
        END IF;
        IF TG_OP = 'UPDATE' AND NEW.customer_id <> OLD.customer_id THEN
            PERFORM relance_oldest_due(NEW.customer_id);
        END IF;
    ELSE
        -- A write-off takes its open invoice out; its removal puts it back.
        IF TG_OP IN ('UPDATE', 'DELETE') THEN
            IF OLD.kind = 'write_off' THEN
                FOR i IN SELECT customer_id, currency, due_date, (CASE WHEN total_minor - settled_minor > 1000000000000000 THEN 1000000000000000 ELSE total_minor - settled_minor END) AS due
                           FROM invoices WHERE id = OLD.invoice_id
                            AND settled_minor < total_minor LOOP
                    PERFORM relance_balance_move(i.customer_id, i.currency, i.due, 1);
                    PERFORM relance_due_move(i.currency, i.due_date, i.due, 1);
                    PERFORM relance_oldest_due(i.customer_id);
                END LOOP;
            END IF;
        END IF;
        IF TG_OP IN ('INSERT', 'UPDATE') THEN
            IF NEW.kind = 'write_off' THEN
                FOR i IN SELECT customer_id, currency, due_date, (CASE WHEN total_minor - settled_minor > 1000000000000000 THEN 1000000000000000 ELSE total_minor - settled_minor END) AS due
                           FROM invoices WHERE id = NEW.invoice_id
                            AND settled_minor < total_minor LOOP
                    PERFORM relance_balance_move(i.customer_id, i.currency, -i.due, -1);
                    PERFORM relance_due_move(i.currency, i.due_date, -i.due, -1);
                    PERFORM relance_oldest_due(i.customer_id);
                END LOOP;
            END IF;
        END IF;
    END IF;
    RETURN NULL;
END $$;

DROP TRIGGER customer_balance_invoice ON invoices;
CREATE TRIGGER customer_balance_invoice
    AFTER UPDATE OF total_minor, settled_minor, customer_id, currency, due_date ON invoices
    FOR EACH ROW
    EXECUTE FUNCTION relance_customer_balance();
