-- Relance schema v26: invoices written in Relance (issue 21). A draft is the owner's work in
-- progress, editable and deletable; Issue turns it into an issued invoice (numbered from the
-- yearly sequence, immutable) and deletes the draft in the same transaction.
-- AUTOINCREMENT: a draft's number is never given to another one after it was issued or
-- deleted (`relance invoice issue 3` twice must not issue a different draft).
CREATE TABLE invoice_drafts (
    id            INTEGER PRIMARY KEY AUTOINCREMENT,
    customer_id   INTEGER NOT NULL REFERENCES customers(id),
    currency      TEXT NOT NULL,
    -- BT-72, the day the goods were delivered or the service done (NULL: the issue date).
    delivery_date TEXT,
    notes         TEXT NOT NULL DEFAULT '',
    -- '' (VAT charged at the lines' rates), or why no VAT is charged on the whole invoice.
    vat_exemption TEXT NOT NULL DEFAULT ''
        CHECK (vat_exemption IN ('', 'reverse_charge_goods', 'reverse_charge_services', 'export')),
    created_at    TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%SZ', 'now')),
    updated_at    TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%SZ', 'now'))
) STRICT;
CREATE INDEX invoice_drafts_customer ON invoice_drafts(customer_id);

-- Quantities and rates are × 10,000 (1.5 h is 15000, 20 % is 200000, a 10 % discount 100000);
-- the unit is a UN/ECE Recommendation 20 code (C62 "one" by default).
CREATE TABLE invoice_draft_lines (
    draft_id    INTEGER NOT NULL REFERENCES invoice_drafts(id),
    position    INTEGER NOT NULL CHECK (position >= 1),
    description TEXT NOT NULL CHECK (description <> ''),
    quantity_e4 INTEGER NOT NULL CHECK (quantity_e4 > 0),
    unit        TEXT NOT NULL DEFAULT 'C62',
    price_minor INTEGER NOT NULL CHECK (price_minor >= 0),
    vat_rate_e4 INTEGER NOT NULL CHECK (vat_rate_e4 >= 0 AND vat_rate_e4 <= 1000000),
    discount_e4 INTEGER NOT NULL DEFAULT 0 CHECK (discount_e4 >= 0 AND discount_e4 <= 1000000),
    PRIMARY KEY (draft_id, position)
) STRICT, WITHOUT ROWID;

-- What an issued line said beyond its net and VAT (NULL on the lines issued before: one
-- unit at the net): quantity, unit, unit price, the discount taken off, and the VAT category
-- (EN 16931 BT-151: S, E, K, AE, G, O; NULL: S when a rate is charged, else E).
ALTER TABLE invoice_lines ADD COLUMN quantity_e4 INTEGER;
ALTER TABLE invoice_lines ADD COLUMN unit TEXT;
ALTER TABLE invoice_lines ADD COLUMN price_minor INTEGER;
ALTER TABLE invoice_lines ADD COLUMN discount_minor INTEGER;
ALTER TABLE invoice_lines ADD COLUMN vat_category TEXT;
ALTER TABLE invoices ADD COLUMN delivery_date TEXT;

-- Issuing checks that no invoice was issued after the new one's date: the latest issued
-- date, read from this index instead of the whole table (100,000 rows: 10 ms a time).
CREATE INDEX invoices_issued ON invoices(issue_date) WHERE issued = 1;

DROP TRIGGER invoices_issued_immutable;
CREATE TRIGGER invoices_issued_immutable BEFORE UPDATE ON invoices
WHEN OLD.issued = 1 AND (NEW.issued IS NOT OLD.issued OR NEW.number IS NOT OLD.number
    OR NEW.customer_id IS NOT OLD.customer_id OR NEW.issue_date IS NOT OLD.issue_date
    OR NEW.due_date IS NOT OLD.due_date OR NEW.currency IS NOT OLD.currency
    OR NEW.total_minor IS NOT OLD.total_minor OR NEW.net_minor IS NOT OLD.net_minor
    OR NEW.vat_minor IS NOT OLD.vat_minor OR NEW.notes IS NOT OLD.notes
    OR NEW.reference IS NOT OLD.reference OR NEW.delivery_date IS NOT OLD.delivery_date)
BEGIN
    SELECT RAISE(ABORT, 'an issued invoice is immutable: correct it with a credit note');
END;

-- The exact bytes of an invoice as issued from a draft: its Factur-X PDF and its CII XML,
-- written in the transaction that issues it. `relance invoice pdf|xml` and the app return
-- these, never a re-drawing from today's settings.
CREATE TABLE invoice_archives (
    invoice_id INTEGER PRIMARY KEY REFERENCES invoices(id),
    pdf        BLOB NOT NULL,
    xml        BLOB NOT NULL,
    created_at TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%SZ', 'now'))
) STRICT;
CREATE TRIGGER invoice_archives_no_update BEFORE UPDATE ON invoice_archives BEGIN
    SELECT RAISE(ABORT, 'an issued invoice is immutable: correct it with a credit note');
END;
CREATE TRIGGER invoice_archives_no_delete BEFORE DELETE ON invoice_archives BEGIN
    SELECT RAISE(ABORT, 'an issued invoice is immutable: correct it with a credit note');
END;
