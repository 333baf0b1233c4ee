-- Relance schema v27: credit notes issued as documents (issue 21). An issued credit note
-- (EN 16931 type 381) has its own gapless yearly series (`A2026-0001`: the setting
-- `credit_note_prefix`, the year, four digits), its lines, its totals, the invoice it
-- corrects (BT-25/26) and its archived Factur-X PDF and CII XML; all immutable.
-- Its effect on the ledger stays a row of `credit_notes` (what settles an invoice): at issue,
-- the part of its total the invoice's open balance takes (a row numbered as the document);
-- what exceeds that balance is the customer's credit, used later on another invoice of the
-- same currency (rows numbered `A2026-0001-2`, …). So `credit_notes.document_id` names the
-- document a row imputes (NULL: a credit note recorded, not issued by Relance).
CREATE TABLE credit_note_sequence (
    year INTEGER PRIMARY KEY,
    last INTEGER NOT NULL CHECK (last >= 1)
) STRICT;

CREATE TABLE credit_note_documents (
    id          INTEGER PRIMARY KEY,
    number      TEXT NOT NULL UNIQUE COLLATE NOCASE CHECK (number <> ''),
    invoice_id  INTEGER NOT NULL REFERENCES invoices(id),
    date        TEXT NOT NULL,
    currency    TEXT NOT NULL,
    net_minor   INTEGER NOT NULL,
    vat_minor   INTEGER NOT NULL,
    total_minor INTEGER NOT NULL CHECK (total_minor > 0),
    reason      TEXT NOT NULL DEFAULT '',
    notes       TEXT NOT NULL DEFAULT '',
    created_at  TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%SZ', 'now'))
) STRICT;
CREATE INDEX credit_note_documents_invoice ON credit_note_documents(invoice_id);
CREATE INDEX credit_note_documents_date ON credit_note_documents(date);

-- As `invoice_lines`: quantity × 10,000, unit, unit price and discount of a typed line
-- (NULL on a line copied from an invoice issued before drafts existed), the VAT category.
CREATE TABLE credit_note_document_lines (
    credit_note_id INTEGER NOT NULL REFERENCES credit_note_documents(id),
    position       INTEGER NOT NULL CHECK (position >= 1),
    label          TEXT NOT NULL,
    net_minor      INTEGER NOT NULL,
    vat_rate_e4    INTEGER NOT NULL,
    vat_minor      INTEGER NOT NULL,
    quantity_e4    INTEGER,
    unit           TEXT,
    price_minor    INTEGER,
    discount_minor INTEGER,
    vat_category   TEXT,
    PRIMARY KEY (credit_note_id, position)
) STRICT, WITHOUT ROWID;

CREATE TABLE credit_note_archives (
    credit_note_id INTEGER PRIMARY KEY REFERENCES credit_note_documents(id),
    pdf            BLOB NOT NULL,
    xml            BLOB NOT NULL,
    created_at     TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%SZ', 'now'))
) STRICT;

CREATE TRIGGER credit_note_documents_no_update BEFORE UPDATE ON credit_note_documents BEGIN
    SELECT RAISE(ABORT, 'an issued credit note is immutable');
END;
CREATE TRIGGER credit_note_documents_no_delete BEFORE DELETE ON credit_note_documents BEGIN
    SELECT RAISE(ABORT, 'an issued credit note is immutable');
END;
CREATE TRIGGER credit_note_document_lines_no_update BEFORE UPDATE ON credit_note_document_lines BEGIN
    SELECT RAISE(ABORT, 'an issued credit note is immutable');
END;
CREATE TRIGGER credit_note_document_lines_no_delete BEFORE DELETE ON credit_note_document_lines BEGIN
    SELECT RAISE(ABORT, 'an issued credit note is immutable');
END;
CREATE TRIGGER credit_note_archives_no_update BEFORE UPDATE ON credit_note_archives BEGIN
    SELECT RAISE(ABORT, 'an issued credit note is immutable');
END;
CREATE TRIGGER credit_note_archives_no_delete BEFORE DELETE ON credit_note_archives BEGIN
    SELECT RAISE(ABORT, 'an issued credit note is immutable');
END;

ALTER TABLE credit_notes ADD COLUMN document_id INTEGER REFERENCES credit_note_documents(id);
CREATE INDEX credit_notes_document ON credit_notes(document_id);
