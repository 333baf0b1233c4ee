-- Relance schema v22 (issue 20): what a bank statement adds to the ledger's facts.
--
-- A settlement difference: bank fees or rounding the owner accepted as settled when a bank
-- payment came in a little short (within the tolerance in Settings). A dated fact of its
-- own, counted as settled like a credit note's amount, but neither a write-off (which closes
-- the whole invoice) nor a credit note (which would change the VAT). It belongs to the
-- payment it completed: reversing the payment reverses it too.
CREATE TABLE settlement_differences (
    id           INTEGER PRIMARY KEY,
    invoice_id   INTEGER NOT NULL REFERENCES invoices(id),
    payment_id   INTEGER NOT NULL REFERENCES payments(id),
    date         TEXT NOT NULL,
    amount_minor INTEGER NOT NULL CHECK (amount_minor > 0)
) STRICT;
CREATE INDEX settlement_differences_invoice ON settlement_differences(invoice_id);
CREATE INDEX settlement_differences_payment ON settlement_differences(payment_id);
CREATE TRIGGER settlement_differences_settle AFTER INSERT ON settlement_differences BEGIN
    UPDATE invoices SET settled_minor = settled_minor + NEW.amount_minor WHERE id = NEW.invoice_id;
END;
CREATE TRIGGER settlement_differences_unsettle AFTER DELETE ON settlement_differences BEGIN
    UPDATE invoices SET settled_minor = settled_minor - OLD.amount_minor WHERE id = OLD.invoice_id;
END;
CREATE TRIGGER settlement_differences_no_update BEFORE UPDATE ON settlement_differences BEGIN
    SELECT RAISE(ABORT, 'settlement differences are append-only');
END;

-- A payer account learnt from a confirmed match names the line it was learnt from: undoing
-- that line's import forgets it (one typed by the owner has none).
ALTER TABLE payer_accounts ADD COLUMN learnt_from INTEGER REFERENCES bank_lines(id);
CREATE INDEX payer_accounts_learnt ON payer_accounts(learnt_from);

-- A return or reversal line names the credit line it gives back.
ALTER TABLE bank_lines ADD COLUMN reverses INTEGER REFERENCES bank_lines(id);
-- Unique: one return per credit (NULLs are distinct); a full index, so that deleting a line
-- finds what refers to it without reading the table.
CREATE UNIQUE INDEX bank_lines_reverses ON bank_lines(reverses);

-- A payment the bank gave back (a return, a reversal): from `date` on it settles nothing,
-- its allocations and settlement differences no longer count and it leaves no credit. The
-- payment and its allocations stay as they were: nothing is deleted, the history shows both.
CREATE TABLE payment_reversals (
    id         INTEGER PRIMARY KEY,
    payment_id INTEGER NOT NULL UNIQUE REFERENCES payments(id),
    line_id    INTEGER NOT NULL UNIQUE REFERENCES bank_lines(id),
    date       TEXT NOT NULL
) STRICT;
CREATE TRIGGER payment_reversals_unsettle AFTER INSERT ON payment_reversals BEGIN
    UPDATE invoices SET settled_minor = settled_minor
        - COALESCE((SELECT SUM(a.amount_minor) FROM allocations a
                    WHERE a.payment_id = NEW.payment_id AND a.invoice_id = invoices.id), 0)
        - COALESCE((SELECT SUM(d.amount_minor) FROM settlement_differences d
                    WHERE d.payment_id = NEW.payment_id AND d.invoice_id = invoices.id), 0)
    WHERE id IN (SELECT invoice_id FROM allocations WHERE payment_id = NEW.payment_id
                 UNION SELECT invoice_id FROM settlement_differences WHERE payment_id = NEW.payment_id);
END;
CREATE TRIGGER payment_reversals_resettle AFTER DELETE ON payment_reversals BEGIN
    UPDATE invoices SET settled_minor = settled_minor
        + COALESCE((SELECT SUM(a.amount_minor) FROM allocations a
                    WHERE a.payment_id = OLD.payment_id AND a.invoice_id = invoices.id), 0)
        + COALESCE((SELECT SUM(d.amount_minor) FROM settlement_differences d
                    WHERE d.payment_id = OLD.payment_id AND d.invoice_id = invoices.id), 0)
    WHERE id IN (SELECT invoice_id FROM allocations WHERE payment_id = OLD.payment_id
                 UNION SELECT invoice_id FROM settlement_differences WHERE payment_id = OLD.payment_id);
END;
CREATE TRIGGER payment_reversals_no_update BEFORE UPDATE ON payment_reversals BEGIN
    SELECT RAISE(ABORT, 'a reversal is a fact: undo the import that brought it');
END;

-- Every dated movement of what an invoice has settled: a payment's allocation, a credit
-- note, a settlement difference, and (negative, dated by the reversal) what a reversed
-- payment had settled. The settled cache (`invoices.settled_minor`) is their sum; a balance
-- as of a day sums the rows dated up to it.
CREATE VIEW settlements (invoice_id, date, amount_minor) AS
    SELECT invoice_id, date, amount_minor FROM allocations
    UNION ALL SELECT invoice_id, date, amount_minor FROM credit_notes
    UNION ALL SELECT invoice_id, date, amount_minor FROM settlement_differences
    -- An allocation of the payment dated after its reversal (credit applied later) is
    -- undone from its own date: a balance never goes above what was due.
    UNION ALL SELECT a.invoice_id, max(r.date, a.date), -a.amount_minor
        FROM payment_reversals r JOIN allocations a ON a.payment_id = r.payment_id
    UNION ALL SELECT d.invoice_id, max(r.date, d.date), -d.amount_minor
        FROM payment_reversals r JOIN settlement_differences d ON d.payment_id = r.payment_id;

-- The day an invoice was settled: its last settlement of any kind.
DROP TRIGGER invoices_paid_on;
CREATE TRIGGER invoices_paid_on AFTER UPDATE OF settled_minor, total_minor ON invoices BEGIN
    UPDATE invoices SET paid_on = CASE WHEN NEW.settled_minor >= NEW.total_minor THEN
            (SELECT MAX(s.date) FROM settlements s WHERE s.invoice_id = NEW.id)
        END
    WHERE id = NEW.id;
END;
