-- Issue 23. The Bank screen counts the lines waiting for a decision by group (sure, to
-- check, not found) and shows a page of each: every waiting line's proposal was derived
-- against the book at each reading (1.3 s with 62,765 lines waiting at a million invoices).
-- Each waiting line's group is now kept in bank_line_kept (with its date, the groups' order)
-- and what its proposal may read in bank_line_asks (bank::matching::Asks of the line alone:
-- 'k' an invoice number's key, 'r' a reference, 'a' a payer account, 'w' a name word). The
-- triggers below log in bank_book_changes, in the same transaction, what changed in the
-- book ('i' an invoice, 'n' an invoice number, 'c' a customer, 'm' a customer's former
-- name, 'r' a reference, 'a' a payer account, 'l' a statement line, '*' everything); a
-- reading computes again the lines the changes may touch (bank::kept::touched), and a fold
-- (each bank write, each start, `relance check --rebuild`) writes them and clears the
-- changes it read, each with the number it read: a change logged again counts one more in
-- its row (seq), so one logged again meanwhile (on a server, by another person's
-- transaction) stays for the next fold.
-- Everything is logged here: the first fold keeps every line waiting.
CREATE TABLE bank_line_kept (
    line_id INTEGER PRIMARY KEY,
    grp     INTEGER NOT NULL CHECK (grp IN (0, 1, 2)),
    date    TEXT NOT NULL
) STRICT;
CREATE INDEX bank_line_kept_page ON bank_line_kept(grp, date, line_id);
CREATE TABLE bank_line_asks (
    kind    TEXT NOT NULL,
    value   TEXT NOT NULL,
    line_id INTEGER NOT NULL,
    PRIMARY KEY (kind, value, line_id)
) STRICT, WITHOUT ROWID;
CREATE INDEX bank_line_asks_line ON bank_line_asks(line_id);
CREATE TABLE bank_book_changes (
    kind  TEXT NOT NULL,
    value TEXT NOT NULL,
    seq   INTEGER NOT NULL,
    PRIMARY KEY (kind, value)
) STRICT, WITHOUT ROWID;
INSERT INTO bank_book_changes (kind, value, seq) VALUES ('*', '', 0);

CREATE TRIGGER bank_book_invoice_new AFTER INSERT ON invoices BEGIN
    INSERT INTO bank_book_changes (kind, value, seq)
        VALUES ('i', CAST(NEW.id AS TEXT), 0)
        ON CONFLICT (kind, value) DO UPDATE SET seq = seq + 1;
END;
CREATE TRIGGER bank_book_invoice_changed AFTER UPDATE OF number, customer_id, currency, total_minor, settled_minor, due_date ON invoices BEGIN
    INSERT INTO bank_book_changes (kind, value, seq)
        VALUES ('i', CAST(NEW.id AS TEXT), 0)
        ON CONFLICT (kind, value) DO UPDATE SET seq = seq + 1;
    INSERT INTO bank_book_changes (kind, value, seq)
        SELECT 'n', OLD.number, 0
         WHERE OLD.number <> NEW.number
        ON CONFLICT (kind, value) DO UPDATE SET seq = seq + 1;
    INSERT INTO bank_book_changes (kind, value, seq)
        SELECT 'c', CAST(OLD.customer_id AS TEXT), 0
         WHERE OLD.customer_id <> NEW.customer_id
        ON CONFLICT (kind, value) DO UPDATE SET seq = seq + 1;
END;
CREATE TRIGGER bank_book_invoice_gone AFTER DELETE ON invoices BEGIN
    INSERT INTO bank_book_changes (kind, value, seq)
        VALUES ('n', OLD.number, 0)
        ON CONFLICT (kind, value) DO UPDATE SET seq = seq + 1;
    INSERT INTO bank_book_changes (kind, value, seq)
        VALUES ('c', CAST(OLD.customer_id AS TEXT), 0)
        ON CONFLICT (kind, value) DO UPDATE SET seq = seq + 1;
END;
CREATE TRIGGER bank_book_closure_new AFTER INSERT ON invoice_closures BEGIN
    INSERT INTO bank_book_changes (kind, value, seq)
        VALUES ('i', CAST(NEW.invoice_id AS TEXT), 0)
        ON CONFLICT (kind, value) DO UPDATE SET seq = seq + 1;
END;
CREATE TRIGGER bank_book_closure_gone AFTER DELETE ON invoice_closures BEGIN
    INSERT INTO bank_book_changes (kind, value, seq)
        VALUES ('i', CAST(OLD.invoice_id AS TEXT), 0)
        ON CONFLICT (kind, value) DO UPDATE SET seq = seq + 1;
END;
CREATE TRIGGER bank_book_closure_changed AFTER UPDATE OF invoice_id ON invoice_closures BEGIN
    INSERT INTO bank_book_changes (kind, value, seq)
        VALUES ('i', CAST(OLD.invoice_id AS TEXT), 0)
        ON CONFLICT (kind, value) DO UPDATE SET seq = seq + 1;
    INSERT INTO bank_book_changes (kind, value, seq)
        VALUES ('i', CAST(NEW.invoice_id AS TEXT), 0)
        ON CONFLICT (kind, value) DO UPDATE SET seq = seq + 1;
END;
CREATE TRIGGER bank_book_reference_new AFTER INSERT ON payment_references BEGIN
    INSERT INTO bank_book_changes (kind, value, seq)
        VALUES ('r', NEW.reference, 0)
        ON CONFLICT (kind, value) DO UPDATE SET seq = seq + 1;
END;
CREATE TRIGGER bank_book_reference_changed AFTER UPDATE ON payment_references BEGIN
    INSERT INTO bank_book_changes (kind, value, seq)
        VALUES ('r', OLD.reference, 0)
        ON CONFLICT (kind, value) DO UPDATE SET seq = seq + 1;
    INSERT INTO bank_book_changes (kind, value, seq)
        VALUES ('r', NEW.reference, 0)
        ON CONFLICT (kind, value) DO UPDATE SET seq = seq + 1;
END;
CREATE TRIGGER bank_book_reference_gone AFTER DELETE ON payment_references BEGIN
    INSERT INTO bank_book_changes (kind, value, seq)
        VALUES ('r', OLD.reference, 0)
        ON CONFLICT (kind, value) DO UPDATE SET seq = seq + 1;
END;
CREATE TRIGGER bank_book_reference_invoice_new AFTER INSERT ON payment_reference_invoices BEGIN
    INSERT INTO bank_book_changes (kind, value, seq)
        SELECT 'r', r.reference, 0 FROM payment_references r
         WHERE r.id = NEW.reference_id
        ON CONFLICT (kind, value) DO UPDATE SET seq = seq + 1;
END;
CREATE TRIGGER bank_book_reference_invoice_gone AFTER DELETE ON payment_reference_invoices BEGIN
    INSERT INTO bank_book_changes (kind, value, seq)
        SELECT 'r', r.reference, 0 FROM payment_references r
         WHERE r.id = OLD.reference_id
        ON CONFLICT (kind, value) DO UPDATE SET seq = seq + 1;
END;
CREATE TRIGGER bank_book_reference_invoice_changed AFTER UPDATE ON payment_reference_invoices BEGIN
    INSERT INTO bank_book_changes (kind, value, seq)
        SELECT 'r', r.reference, 0 FROM payment_references r
         WHERE r.id IN (OLD.reference_id, NEW.reference_id)
        ON CONFLICT (kind, value) DO UPDATE SET seq = seq + 1;
    INSERT INTO bank_book_changes (kind, value, seq)
        VALUES ('i', CAST(OLD.invoice_id AS TEXT), 0)
        ON CONFLICT (kind, value) DO UPDATE SET seq = seq + 1;
    INSERT INTO bank_book_changes (kind, value, seq)
        VALUES ('i', CAST(NEW.invoice_id AS TEXT), 0)
        ON CONFLICT (kind, value) DO UPDATE SET seq = seq + 1;
END;
CREATE TRIGGER bank_book_payer_new AFTER INSERT ON payer_accounts BEGIN
    INSERT INTO bank_book_changes (kind, value, seq)
        VALUES ('a', NEW.account, 0)
        ON CONFLICT (kind, value) DO UPDATE SET seq = seq + 1;
END;
CREATE TRIGGER bank_book_payer_changed AFTER UPDATE ON payer_accounts BEGIN
    INSERT INTO bank_book_changes (kind, value, seq)
        VALUES ('a', OLD.account, 0)
        ON CONFLICT (kind, value) DO UPDATE SET seq = seq + 1;
    INSERT INTO bank_book_changes (kind, value, seq)
        VALUES ('a', NEW.account, 0)
        ON CONFLICT (kind, value) DO UPDATE SET seq = seq + 1;
END;
CREATE TRIGGER bank_book_payer_gone AFTER DELETE ON payer_accounts BEGIN
    INSERT INTO bank_book_changes (kind, value, seq)
        VALUES ('a', OLD.account, 0)
        ON CONFLICT (kind, value) DO UPDATE SET seq = seq + 1;
END;
CREATE TRIGGER bank_book_customer_new AFTER INSERT ON customers BEGIN
    INSERT INTO bank_book_changes (kind, value, seq)
        VALUES ('c', CAST(NEW.id AS TEXT), 0)
        ON CONFLICT (kind, value) DO UPDATE SET seq = seq + 1;
END;
CREATE TRIGGER bank_book_customer_changed AFTER UPDATE OF name, archived_on ON customers BEGIN
    INSERT INTO bank_book_changes (kind, value, seq)
        VALUES ('c', CAST(NEW.id AS TEXT), 0)
        ON CONFLICT (kind, value) DO UPDATE SET seq = seq + 1;
    INSERT INTO bank_book_changes (kind, value, seq)
        VALUES ('m', OLD.name, 0)
        ON CONFLICT (kind, value) DO UPDATE SET seq = seq + 1;
END;
CREATE TRIGGER bank_book_customer_gone AFTER DELETE ON customers BEGIN
    INSERT INTO bank_book_changes (kind, value, seq)
        VALUES ('m', OLD.name, 0)
        ON CONFLICT (kind, value) DO UPDATE SET seq = seq + 1;
END;
CREATE TRIGGER bank_book_tolerance_new AFTER INSERT ON settings
    WHEN NEW.key IN ('bank_tolerance', 'bank_tolerance_percent') BEGIN
    INSERT INTO bank_book_changes (kind, value, seq)
        VALUES ('*', '', 0)
        ON CONFLICT (kind, value) DO UPDATE SET seq = seq + 1;
END;
CREATE TRIGGER bank_book_tolerance AFTER UPDATE ON settings
    WHEN NEW.key IN ('bank_tolerance', 'bank_tolerance_percent') OR OLD.key IN ('bank_tolerance', 'bank_tolerance_percent') BEGIN
    INSERT INTO bank_book_changes (kind, value, seq)
        VALUES ('*', '', 0)
        ON CONFLICT (kind, value) DO UPDATE SET seq = seq + 1;
END;
CREATE TRIGGER bank_book_tolerance_gone AFTER DELETE ON settings
    WHEN OLD.key IN ('bank_tolerance', 'bank_tolerance_percent') BEGIN
    INSERT INTO bank_book_changes (kind, value, seq)
        VALUES ('*', '', 0)
        ON CONFLICT (kind, value) DO UPDATE SET seq = seq + 1;
END;
CREATE TRIGGER bank_book_line_new AFTER INSERT ON bank_lines BEGIN
    INSERT INTO bank_book_changes (kind, value, seq)
        VALUES ('l', CAST(NEW.id AS TEXT), 0)
        ON CONFLICT (kind, value) DO UPDATE SET seq = seq + 1;
    INSERT INTO bank_book_changes (kind, value, seq)
        SELECT 'l', CAST(NEW.reverses AS TEXT), 0
         WHERE NEW.reverses IS NOT NULL
        ON CONFLICT (kind, value) DO UPDATE SET seq = seq + 1;
END;
CREATE TRIGGER bank_book_line_changed AFTER UPDATE ON bank_lines BEGIN
    INSERT INTO bank_book_changes (kind, value, seq)
        VALUES ('l', CAST(NEW.id AS TEXT), 0)
        ON CONFLICT (kind, value) DO UPDATE SET seq = seq + 1;
    INSERT INTO bank_book_changes (kind, value, seq)
        SELECT 'l', CAST(OLD.reverses AS TEXT), 0
         WHERE OLD.reverses IS NOT NULL
        ON CONFLICT (kind, value) DO UPDATE SET seq = seq + 1;
    INSERT INTO bank_book_changes (kind, value, seq)
        SELECT 'l', CAST(NEW.reverses AS TEXT), 0
         WHERE NEW.reverses IS NOT NULL
        ON CONFLICT (kind, value) DO UPDATE SET seq = seq + 1;
END;
CREATE TRIGGER bank_book_line_gone AFTER DELETE ON bank_lines BEGIN
    DELETE FROM bank_line_kept WHERE line_id = OLD.id;
    DELETE FROM bank_line_asks WHERE line_id = OLD.id;
    INSERT INTO bank_book_changes (kind, value, seq)
        SELECT 'l', CAST(OLD.reverses AS TEXT), 0
         WHERE OLD.reverses IS NOT NULL
        ON CONFLICT (kind, value) DO UPDATE SET seq = seq + 1;
END;
