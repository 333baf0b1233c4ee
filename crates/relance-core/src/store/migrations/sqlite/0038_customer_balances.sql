-- Each customer's open balance per currency: what is still due on their open invoices that
-- are not written off, and how many they are. The Customers list sorted by an amount reads
-- its first page from here (largest first, stopping at the page) instead of summing every
-- customer's invoices (212 ms at a million invoices). Only the customers owing something
-- have a row. An invoice counts for at most 10^15 minor units: older builds let larger
-- totals in, whose sums would overflow (it would take over 9,000 of them for one
-- customer); the list sums every invoice when it meets such a balance (and refuses the
-- overflow clearly, as before). Kept here, in the transaction of every change to an invoice's total, settled
-- amount, customer or currency, and of every write-off; views::balances compares it with
-- the derivation (`relance check`) and computes it again (`relance check --rebuild`).
CREATE TABLE customer_balances (
    customer_id INTEGER NOT NULL,
    currency    TEXT NOT NULL,
    open_minor  INTEGER NOT NULL,
    open_count  INTEGER NOT NULL,
    PRIMARY KEY (customer_id, currency)
) STRICT, WITHOUT ROWID;
CREATE INDEX customer_balances_by_amount ON customer_balances(currency, open_minor, customer_id);

INSERT INTO customer_balances (customer_id, currency, open_minor, open_count)
    SELECT i.customer_id, i.currency, SUM((CASE WHEN i.total_minor - i.settled_minor > 1000000000000000 THEN 1000000000000000 ELSE i.total_minor - i.settled_minor END)), COUNT(*)
      FROM invoices i
     WHERE i.settled_minor < i.total_minor
       AND NOT EXISTS (SELECT 1 FROM invoice_closures x
                        WHERE x.invoice_id = i.id AND x.kind = 'write_off')
     GROUP BY i.customer_id, i.currency;

-- An invoice counts while settled_minor < total_minor and no write-off closes it: each
-- trigger takes away what the old row counted and adds what the new one counts, then drops
-- the rows left with no open invoice.
CREATE TRIGGER customer_balance_invoice_new AFTER INSERT ON invoices
    WHEN NEW.settled_minor < NEW.total_minor BEGIN
    INSERT INTO customer_balances (customer_id, currency, open_minor, open_count)
        SELECT NEW.customer_id, NEW.currency, (CASE WHEN NEW.total_minor - NEW.settled_minor > 1000000000000000 THEN 1000000000000000 ELSE NEW.total_minor - NEW.settled_minor END), 1
         WHERE NOT EXISTS (SELECT 1 FROM invoice_closures x
                            WHERE x.invoice_id = NEW.id AND x.kind = 'write_off')
        ON CONFLICT (customer_id, currency) DO UPDATE
            SET open_minor = open_minor + excluded.open_minor,
                open_count = open_count + excluded.open_count;
END;
CREATE TRIGGER customer_balance_invoice
    AFTER UPDATE OF total_minor, settled_minor, customer_id, currency ON invoices BEGIN
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
END;
CREATE TRIGGER customer_balance_closure_gone AFTER DELETE ON invoice_closures
    WHEN OLD.kind = 'write_off' BEGIN
    INSERT INTO customer_balances (customer_id, currency, open_minor, open_count)
        SELECT i.customer_id, i.currency, (CASE WHEN i.total_minor - i.settled_minor > 1000000000000000 THEN 1000000000000000 ELSE i.total_minor - i.settled_minor END), 1
          FROM invoices i WHERE i.id = OLD.invoice_id AND i.settled_minor < i.total_minor
        ON CONFLICT (customer_id, currency) DO UPDATE
            SET open_minor = open_minor + excluded.open_minor,
                open_count = open_count + excluded.open_count;
END;
