-- Today's headline figures (what is outstanding and overdue, how many open and overdue
-- invoices, how many customers late) summed every open invoice of the ledger: 60-85 ms at a
-- million invoices. They now read two kept summaries, moved by the triggers that keep the
-- customers' balances (migration 38), in the same transaction as every change to an
-- invoice's total, settled amount, customer, currency or due date, and every write-off:
-- - `due_balances`: per currency and due date, what is still due on the open invoices not
--   written off and how many they are (a row only while some are): the amounts and counts,
--   overdue or not, are sums over due dates, not over invoices.
-- - `customer_balances.oldest_due`: the earliest due date among a customer's counted open
--   invoices in that currency (a customer is late once it is past), and `oldest_dues`: how
--   many customers have each earliest due date, per currency (moved by triggers on
--   `customer_balances` itself, so it follows the column whatever writes it): the
--   customers late are a sum over due dates too.
-- An invoice counts for at most 10^15 minor units, as in the customers' balances.
-- views::balances compares both with the derivation (`relance check`, the model-based test,
-- the crash harness) and writes them again (`relance check --rebuild`).
ALTER TABLE customer_balances ADD COLUMN oldest_due TEXT NOT NULL DEFAULT '';
UPDATE customer_balances SET oldest_due = COALESCE((
    SELECT MIN(i.due_date) FROM invoices i
     WHERE i.customer_id = customer_balances.customer_id
       AND i.currency = customer_balances.currency
       AND i.settled_minor < i.total_minor
       AND NOT EXISTS (SELECT 1 FROM invoice_closures x
                        WHERE x.invoice_id = i.id AND x.kind = 'write_off')), '');

CREATE TABLE oldest_dues (
    currency   TEXT NOT NULL,
    oldest_due TEXT NOT NULL,
    customers  INTEGER NOT NULL,
    PRIMARY KEY (currency, oldest_due)
) STRICT, WITHOUT ROWID;
INSERT INTO oldest_dues (currency, oldest_due, customers)
    SELECT currency, oldest_due, COUNT(*) FROM customer_balances WHERE oldest_due <> ''
     GROUP BY currency, oldest_due;
-- A balance's earliest due date counted where it is ('' while a trigger computes it: not
-- counted), and taken away from where it was.
CREATE TRIGGER oldest_due_new AFTER INSERT ON customer_balances
    WHEN NEW.oldest_due <> '' BEGIN
    INSERT INTO oldest_dues (currency, oldest_due, customers)
        VALUES (NEW.currency, NEW.oldest_due, 1)
        ON CONFLICT (currency, oldest_due) DO UPDATE SET customers = customers + 1;
END;
CREATE TRIGGER oldest_due_moved AFTER UPDATE OF currency, oldest_due ON customer_balances
    WHEN OLD.currency <> NEW.currency OR OLD.oldest_due <> NEW.oldest_due BEGIN
    INSERT INTO oldest_dues (currency, oldest_due, customers)
        SELECT OLD.currency, OLD.oldest_due, -1 WHERE OLD.oldest_due <> ''
        ON CONFLICT (currency, oldest_due) DO UPDATE SET customers = customers - 1;
    INSERT INTO oldest_dues (currency, oldest_due, customers)
        SELECT NEW.currency, NEW.oldest_due, 1 WHERE NEW.oldest_due <> ''
        ON CONFLICT (currency, oldest_due) DO UPDATE SET customers = customers + 1;
    DELETE FROM oldest_dues
     WHERE currency = OLD.currency AND oldest_due = OLD.oldest_due AND customers = 0;
END;
CREATE TRIGGER oldest_due_gone AFTER DELETE ON customer_balances
    WHEN OLD.oldest_due <> '' BEGIN
    UPDATE oldest_dues SET customers = customers - 1
     WHERE currency = OLD.currency AND oldest_due = OLD.oldest_due;
    DELETE FROM oldest_dues
     WHERE currency = OLD.currency AND oldest_due = OLD.oldest_due AND customers = 0;
END;

CREATE TABLE due_balances (
    currency    TEXT NOT NULL,
    due_date    TEXT NOT NULL,
    open_minor  INTEGER NOT NULL,
    open_count  INTEGER NOT NULL,
    PRIMARY KEY (currency, due_date)
) STRICT, WITHOUT ROWID;
INSERT INTO due_balances (currency, due_date, open_minor, open_count)
    SELECT i.currency, i.due_date, SUM((CASE WHEN i.total_minor - i.settled_minor > 1000000000000000 THEN 1000000000000000 ELSE i.total_minor - i.settled_minor END)), COUNT(*)
      FROM invoices i
     WHERE i.settled_minor < i.total_minor
       AND NOT EXISTS (SELECT 1 FROM invoice_closures x
                        WHERE x.invoice_id = i.id AND x.kind = 'write_off')
     GROUP BY i.currency, i.due_date;

DROP TRIGGER customer_balance_invoice_new;
DROP TRIGGER customer_balance_invoice;
DROP TRIGGER customer_balance_invoice_gone;
DROP TRIGGER customer_balance_closure_new;
DROP TRIGGER customer_balance_closure;
DROP TRIGGER customer_balance_closure_gone;

-- Each trigger takes away what the old row counted and adds what the new one counts (in
-- the customer's balance and at the due date), drops the rows left with no open invoice,
-- and computes the customers' earliest due date again (an invoice added only lowers it).
CREATE TRIGGER customer_balance_invoice_new AFTER INSERT ON invoices
    WHEN NEW.settled_minor < NEW.total_minor BEGIN
    INSERT INTO customer_balances (customer_id, currency, open_minor, open_count, oldest_due)
        SELECT NEW.customer_id, NEW.currency, (CASE WHEN NEW.total_minor - NEW.settled_minor > 1000000000000000 THEN 1000000000000000 ELSE NEW.total_minor - NEW.settled_minor END), 1, NEW.due_date
         WHERE NOT EXISTS (SELECT 1 FROM invoice_closures x
                            WHERE x.invoice_id = NEW.id AND x.kind = 'write_off')
        ON CONFLICT (customer_id, currency) DO UPDATE
            SET open_minor = open_minor + excluded.open_minor,
                open_count = open_count + excluded.open_count,
                oldest_due = MIN(oldest_due, excluded.oldest_due);
    INSERT INTO due_balances (currency, due_date, open_minor, open_count)
        SELECT NEW.currency, NEW.due_date, (CASE WHEN NEW.total_minor - NEW.settled_minor > 1000000000000000 THEN 1000000000000000 ELSE NEW.total_minor - NEW.settled_minor END), 1
         WHERE NOT EXISTS (SELECT 1 FROM invoice_closures x
                            WHERE x.invoice_id = NEW.id AND x.kind = 'write_off')
        ON CONFLICT (currency, due_date) DO UPDATE
            SET open_minor = open_minor + excluded.open_minor,
                open_count = open_count + excluded.open_count;
END;
CREATE TRIGGER customer_balance_invoice
    AFTER UPDATE OF total_minor, settled_minor, customer_id, currency, due_date ON invoices BEGIN
    INSERT INTO customer_balances (customer_id, currency, open_minor, open_count)
        SELECT OLD.customer_id, OLD.currency, -(CASE WHEN OLD.total_minor - OLD.settled_minor > 1000000000000000 THEN 1000000000000000 ELSE OLD.total_minor - OLD.settled_minor END), -1
         WHERE OLD.settled_minor < OLD.total_minor
           AND NOT EXISTS (SELECT 1 FROM invoice_closures x
                            WHERE x.invoice_id = OLD.id AND x.kind = 'write_off')
        ON CONFLICT (customer_id, currency) DO UPDATE
            SET open_minor = open_minor + excluded.open_minor,
                open_count = open_count + excluded.open_count;
    INSERT INTO customer_balances (customer_id, currency, open_minor, open_count)
        SELECT NEW.customer_id, NEW.currency, (CASE WHEN NEW.total_minor - NEW.settled_minor > 1000000000000000 THEN 1000000000000000 ELSE NEW.total_minor - NEW.settled_minor END), 1
         WHERE NEW.settled_minor < NEW.total_minor
           AND NOT EXISTS (SELECT 1 FROM invoice_closures x
                            WHERE x.invoice_id = NEW.id AND x.kind = 'write_off')
        ON CONFLICT (customer_id, currency) DO UPDATE
            SET open_minor = open_minor + excluded.open_minor,
                open_count = open_count + excluded.open_count;
    DELETE FROM customer_balances
     WHERE customer_id IN (OLD.customer_id, NEW.customer_id) AND open_count = 0;
    UPDATE customer_balances SET oldest_due = COALESCE((
        SELECT MIN(i.due_date) FROM invoices i
         WHERE i.customer_id = customer_balances.customer_id
           AND i.currency = customer_balances.currency
           AND i.settled_minor < i.total_minor
           AND NOT EXISTS (SELECT 1 FROM invoice_closures x
                            WHERE x.invoice_id = i.id AND x.kind = 'write_off')), '')
     WHERE customer_id IN (OLD.customer_id, NEW.customer_id);
    INSERT INTO due_balances (currency, due_date, open_minor, open_count)
        SELECT OLD.currency, OLD.due_date, -(CASE WHEN OLD.total_minor - OLD.settled_minor > 1000000000000000 THEN 1000000000000000 ELSE OLD.total_minor - OLD.settled_minor END), -1
         WHERE OLD.settled_minor < OLD.total_minor
           AND NOT EXISTS (SELECT 1 FROM invoice_closures x
                            WHERE x.invoice_id = OLD.id AND x.kind = 'write_off')
        ON CONFLICT (currency, due_date) DO UPDATE
            SET open_minor = open_minor + excluded.open_minor,
                open_count = open_count + excluded.open_count;
    INSERT INTO due_balances (currency, due_date, open_minor, open_count)
        SELECT NEW.currency, NEW.due_date, (CASE WHEN NEW.total_minor - NEW.settled_minor > 1000000000000000 THEN 1000000000000000 ELSE NEW.total_minor - NEW.settled_minor END), 1
         WHERE NEW.settled_minor < NEW.total_minor
           AND NOT EXISTS (SELECT 1 FROM invoice_closures x
                            WHERE x.invoice_id = NEW.id AND x.kind = 'write_off')
        ON CONFLICT (currency, due_date) DO UPDATE
            SET open_minor = open_minor + excluded.open_minor,
                open_count = open_count + excluded.open_count;
    DELETE FROM due_balances
     WHERE ((currency = OLD.currency AND due_date = OLD.due_date)
            OR (currency = NEW.currency AND due_date = NEW.due_date))
       AND open_count = 0;
END;
CREATE TRIGGER customer_balance_invoice_gone AFTER DELETE ON invoices
    WHEN OLD.settled_minor < OLD.total_minor BEGIN
    INSERT INTO customer_balances (customer_id, currency, open_minor, open_count)
        SELECT OLD.customer_id, OLD.currency, -(CASE WHEN OLD.total_minor - OLD.settled_minor > 1000000000000000 THEN 1000000000000000 ELSE OLD.total_minor - OLD.settled_minor END), -1
         WHERE NOT EXISTS (SELECT 1 FROM invoice_closures x
                            WHERE x.invoice_id = OLD.id AND x.kind = 'write_off')
        ON CONFLICT (customer_id, currency) DO UPDATE
            SET open_minor = open_minor + excluded.open_minor,
                open_count = open_count + excluded.open_count;
    DELETE FROM customer_balances
     WHERE customer_id = OLD.customer_id AND currency = OLD.currency AND open_count = 0;
    UPDATE customer_balances SET oldest_due = COALESCE((
        SELECT MIN(i.due_date) FROM invoices i
         WHERE i.customer_id = customer_balances.customer_id
           AND i.currency = customer_balances.currency
           AND i.settled_minor < i.total_minor
           AND NOT EXISTS (SELECT 1 FROM invoice_closures x
                            WHERE x.invoice_id = i.id AND x.kind = 'write_off')), '')
     WHERE customer_id = OLD.customer_id AND currency = OLD.currency;
    INSERT INTO due_balances (currency, due_date, open_minor, open_count)
        SELECT OLD.currency, OLD.due_date, -(CASE WHEN OLD.total_minor - OLD.settled_minor > 1000000000000000 THEN 1000000000000000 ELSE OLD.total_minor - OLD.settled_minor END), -1
         WHERE NOT EXISTS (SELECT 1 FROM invoice_closures x
                            WHERE x.invoice_id = OLD.id AND x.kind = 'write_off')
        ON CONFLICT (currency, due_date) DO UPDATE
            SET open_minor = open_minor + excluded.open_minor,
                open_count = open_count + excluded.open_count;
    DELETE FROM due_balances
     WHERE currency = OLD.currency AND due_date = OLD.due_date AND open_count = 0;
END;
-- A write-off takes its open invoice out; its removal (or another kind of closure) puts it
-- back.
CREATE TRIGGER customer_balance_closure_new AFTER INSERT ON invoice_closures
    WHEN NEW.kind = 'write_off' BEGIN
    INSERT INTO customer_balances (customer_id, currency, open_minor, open_count)
        SELECT i.customer_id, i.currency, -(CASE WHEN i.total_minor - i.settled_minor > 1000000000000000 THEN 1000000000000000 ELSE i.total_minor - i.settled_minor END), -1
          FROM invoices i WHERE i.id = NEW.invoice_id AND i.settled_minor < i.total_minor
        ON CONFLICT (customer_id, currency) DO UPDATE
            SET open_minor = open_minor + excluded.open_minor,
                open_count = open_count + excluded.open_count;
    DELETE FROM customer_balances
     WHERE customer_id = (SELECT customer_id FROM invoices WHERE id = NEW.invoice_id)
       AND open_count = 0;
    UPDATE customer_balances SET oldest_due = COALESCE((
        SELECT MIN(i.due_date) FROM invoices i
         WHERE i.customer_id = customer_balances.customer_id
           AND i.currency = customer_balances.currency
           AND i.settled_minor < i.total_minor
           AND NOT EXISTS (SELECT 1 FROM invoice_closures x
                            WHERE x.invoice_id = i.id AND x.kind = 'write_off')), '')
     WHERE customer_id = (SELECT customer_id FROM invoices WHERE id = NEW.invoice_id);
    INSERT INTO due_balances (currency, due_date, open_minor, open_count)
        SELECT i.currency, i.due_date, -(CASE WHEN i.total_minor - i.settled_minor > 1000000000000000 THEN 1000000000000000 ELSE i.total_minor - i.settled_minor END), -1
          FROM invoices i WHERE i.id = NEW.invoice_id AND i.settled_minor < i.total_minor
        ON CONFLICT (currency, due_date) DO UPDATE
            SET open_minor = open_minor + excluded.open_minor,
                open_count = open_count + excluded.open_count;
    DELETE FROM due_balances
     WHERE (currency, due_date) IN (SELECT currency, due_date FROM invoices
                                     WHERE id = NEW.invoice_id)
       AND open_count = 0;
END;
CREATE TRIGGER customer_balance_closure
    AFTER UPDATE OF kind, invoice_id ON invoice_closures
    WHEN (OLD.kind = 'write_off') <> (NEW.kind = 'write_off') OR OLD.invoice_id <> NEW.invoice_id
    BEGIN
    INSERT INTO customer_balances (customer_id, currency, open_minor, open_count)
        SELECT i.customer_id, i.currency, (CASE WHEN i.total_minor - i.settled_minor > 1000000000000000 THEN 1000000000000000 ELSE i.total_minor - i.settled_minor END), 1
          FROM invoices i
         WHERE OLD.kind = 'write_off' AND i.id = OLD.invoice_id AND i.settled_minor < i.total_minor
        ON CONFLICT (customer_id, currency) DO UPDATE
            SET open_minor = open_minor + excluded.open_minor,
                open_count = open_count + excluded.open_count;
    INSERT INTO customer_balances (customer_id, currency, open_minor, open_count)
        SELECT i.customer_id, i.currency, -(CASE WHEN i.total_minor - i.settled_minor > 1000000000000000 THEN 1000000000000000 ELSE i.total_minor - i.settled_minor END), -1
          FROM invoices i
         WHERE NEW.kind = 'write_off' AND i.id = NEW.invoice_id AND i.settled_minor < i.total_minor
        ON CONFLICT (customer_id, currency) DO UPDATE
            SET open_minor = open_minor + excluded.open_minor,
                open_count = open_count + excluded.open_count;
    DELETE FROM customer_balances
     WHERE customer_id IN (SELECT customer_id FROM invoices
                            WHERE id IN (OLD.invoice_id, NEW.invoice_id))
       AND open_count = 0;
    UPDATE customer_balances SET oldest_due = COALESCE((
        SELECT MIN(i.due_date) FROM invoices i
         WHERE i.customer_id = customer_balances.customer_id
           AND i.currency = customer_balances.currency
           AND i.settled_minor < i.total_minor
           AND NOT EXISTS (SELECT 1 FROM invoice_closures x
                            WHERE x.invoice_id = i.id AND x.kind = 'write_off')), '')
     WHERE customer_id IN (SELECT customer_id FROM invoices
                            WHERE id IN (OLD.invoice_id, NEW.invoice_id));
    INSERT INTO due_balances (currency, due_date, open_minor, open_count)
        SELECT i.currency, i.due_date, (CASE WHEN i.total_minor - i.settled_minor > 1000000000000000 THEN 1000000000000000 ELSE i.total_minor - i.settled_minor END), 1
          FROM invoices i
         WHERE OLD.kind = 'write_off' AND i.id = OLD.invoice_id AND i.settled_minor < i.total_minor
        ON CONFLICT (currency, due_date) DO UPDATE
            SET open_minor = open_minor + excluded.open_minor,
                open_count = open_count + excluded.open_count;
    INSERT INTO due_balances (currency, due_date, open_minor, open_count)
        SELECT i.currency, i.due_date, -(CASE WHEN i.total_minor - i.settled_minor > 1000000000000000 THEN 1000000000000000 ELSE i.total_minor - i.settled_minor END), -1
          FROM invoices i
         WHERE NEW.kind = 'write_off' AND i.id = NEW.invoice_id AND i.settled_minor < i.total_minor
        ON CONFLICT (currency, due_date) DO UPDATE
            SET open_minor = open_minor + excluded.open_minor,
                open_count = open_count + excluded.open_count;
    DELETE FROM due_balances
     WHERE (currency, due_date) IN (SELECT currency, due_date FROM invoices
                                     WHERE id IN (OLD.invoice_id, NEW.invoice_id))
       AND open_count = 0;
END;
CREATE TRIGGER customer_balance_closure_gone AFTER DELETE ON invoice_closures
    WHEN OLD.kind = 'write_off' BEGIN
    INSERT INTO customer_balances (customer_id, currency, open_minor, open_count, oldest_due)
        SELECT i.customer_id, i.currency, (CASE WHEN i.total_minor - i.settled_minor > 1000000000000000 THEN 1000000000000000 ELSE i.total_minor - i.settled_minor END), 1, i.due_date
          FROM invoices i WHERE i.id = OLD.invoice_id AND i.settled_minor < i.total_minor
        ON CONFLICT (customer_id, currency) DO UPDATE
            SET open_minor = open_minor + excluded.open_minor,
                open_count = open_count + excluded.open_count,
                oldest_due = MIN(oldest_due, excluded.oldest_due);
    INSERT INTO due_balances (currency, due_date, open_minor, open_count)
        SELECT i.currency, i.due_date, (CASE WHEN i.total_minor - i.settled_minor > 1000000000000000 THEN 1000000000000000 ELSE i.total_minor - i.settled_minor END), 1
          FROM invoices i WHERE i.id = OLD.invoice_id AND i.settled_minor < i.total_minor
        ON CONFLICT (currency, due_date) DO UPDATE
            SET open_minor = open_minor + excluded.open_minor,
                open_count = open_count + excluded.open_count;
END;
