-- Relance schema v9: invoices Relance issues itself (lines, VAT, a yearly sequence without
-- gaps, immutable once issued) and contracts billed in milestones.

-- 1 for an invoice issued by Relance (numbered from the sequence, printed with its lines);
-- 0 for one recorded from elsewhere.
ALTER TABLE invoices ADD COLUMN issued INTEGER NOT NULL DEFAULT 0 CHECK (issued IN (0, 1));
ALTER TABLE invoices ADD COLUMN vat_minor INTEGER;

-- What an issued invoice says, line by line: a deduction (a deposit already invoiced) has
-- negative amounts. VAT rates are percent x 10,000.
CREATE TABLE invoice_lines (
    invoice_id  INTEGER NOT NULL REFERENCES invoices(id),
    position    INTEGER NOT NULL,
    label       TEXT NOT NULL CHECK (label <> ''),
    net_minor   INTEGER NOT NULL,
    vat_rate_e4 INTEGER NOT NULL CHECK (vat_rate_e4 >= 0),
    vat_minor   INTEGER NOT NULL,
    PRIMARY KEY (invoice_id, position)
) STRICT, WITHOUT ROWID;
CREATE TRIGGER invoice_lines_no_update BEFORE UPDATE ON invoice_lines BEGIN
    SELECT RAISE(ABORT, 'an issued invoice is immutable: correct it with a credit note');
END;
CREATE TRIGGER invoice_lines_no_delete BEFORE DELETE ON invoice_lines BEGIN
    SELECT RAISE(ABORT, 'an issued invoice is immutable: correct it with a credit note');
END;
-- Payments and credit notes still settle an issued invoice (settled_minor); nothing else of
-- it changes.
CREATE TRIGGER invoices_issued_immutable BEFORE UPDATE ON invoices
WHEN OLD.issued = 1 AND (NEW.issued IS NOT OLD.issued OR NEW.number IS NOT OLD.number
    OR NEW.customer_id IS NOT OLD.customer_id OR NEW.issue_date IS NOT OLD.issue_date
    OR NEW.due_date IS NOT OLD.due_date OR NEW.currency IS NOT OLD.currency
    OR NEW.total_minor IS NOT OLD.total_minor OR NEW.net_minor IS NOT OLD.net_minor
    OR NEW.vat_minor IS NOT OLD.vat_minor OR NEW.notes IS NOT OLD.notes
    OR NEW.reference IS NOT OLD.reference)
BEGIN
    SELECT RAISE(ABORT, 'an issued invoice is immutable: correct it with a credit note');
END;
CREATE TRIGGER invoices_issued_no_delete BEFORE DELETE ON invoices WHEN OLD.issued = 1 BEGIN
    SELECT RAISE(ABORT, 'an issued invoice is immutable: correct it with a credit note');
END;

-- The last number issued per year ("F2026-0042" is 42 of 2026), advanced inside the
-- transaction that issues the invoice: continuous, never reused.
CREATE TABLE invoice_sequence (
    year INTEGER PRIMARY KEY,
    last INTEGER NOT NULL CHECK (last >= 0)
) STRICT;

CREATE TABLE contracts (
    id           INTEGER PRIMARY KEY,
    reference    TEXT NOT NULL UNIQUE COLLATE NOCASE CHECK (reference <> ''),
    customer_id  INTEGER NOT NULL REFERENCES customers(id),
    title        TEXT NOT NULL CHECK (title <> ''),
    signed_on    TEXT NOT NULL,
    currency     TEXT NOT NULL,
    net_minor    INTEGER NOT NULL CHECK (net_minor > 0),
    vat_rate_e4  INTEGER NOT NULL CHECK (vat_rate_e4 >= 0 AND vat_rate_e4 <= 1000000),
    vat_minor    INTEGER NOT NULL CHECK (vat_minor >= 0),
    -- "TVA non applicable, art. 293 B du CGI" for a VAT-exempt seller.
    vat_mention  TEXT NOT NULL DEFAULT '',
    cancelled_on TEXT,
    created_at   TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%SZ', 'now'))
) STRICT;
CREATE INDEX contracts_customer ON contracts(customer_id);

CREATE TABLE milestones (
    id          INTEGER PRIMARY KEY,
    contract_id INTEGER NOT NULL REFERENCES contracts(id),
    position    INTEGER NOT NULL CHECK (position >= 1),
    label       TEXT NOT NULL CHECK (label <> ''),
    -- The share typed (percent x 10,000), or NULL for a fixed amount.
    share_e4    INTEGER,
    net_minor   INTEGER NOT NULL CHECK (net_minor > 0),
    vat_minor   INTEGER NOT NULL CHECK (vat_minor >= 0),
    trigger     TEXT NOT NULL CHECK (trigger IN ('signature', 'date', 'reached')),
    on_date     TEXT,
    terms_days  INTEGER NOT NULL CHECK (terms_days >= 0 AND terms_days <= 365),
    reached_on  TEXT,
    invoice_id  INTEGER UNIQUE REFERENCES invoices(id),
    -- Dropped by an amendment or a cancellation, or merged into the final invoice.
    cancelled   INTEGER NOT NULL DEFAULT 0 CHECK (cancelled IN (0, 1)),
    UNIQUE (contract_id, position)
) STRICT;
CREATE INDEX milestones_invoice ON milestones(invoice_id) WHERE invoice_id IS NOT NULL;
-- A milestone invoiced keeps its amounts.
CREATE TRIGGER milestones_invoiced_fixed BEFORE UPDATE ON milestones
WHEN OLD.invoice_id IS NOT NULL AND (NEW.net_minor IS NOT OLD.net_minor
    OR NEW.vat_minor IS NOT OLD.vat_minor OR NEW.invoice_id IS NOT OLD.invoice_id
    OR NEW.cancelled IS NOT OLD.cancelled)
BEGIN
    SELECT RAISE(ABORT, 'an invoiced milestone keeps its amount');
END;
