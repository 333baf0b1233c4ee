-- Relance schema v30: invoices and credit notes imported from their e-invoice files (issue
-- 21). The original file (a Factur-X PDF, a CII or UBL XML) is kept byte for byte, openable
-- from the invoice's page; never changed. It goes only with its invoice or credit note
-- (a recorded invoice may be deleted while nothing settles it).
CREATE TABLE einvoice_originals (
    id             INTEGER PRIMARY KEY,
    invoice_id     INTEGER UNIQUE REFERENCES invoices(id),
    credit_note_id INTEGER UNIQUE REFERENCES credit_notes(id),
    file_name      TEXT NOT NULL,
    -- "Factur-X, factur-x.xml", "CII", "UBL": how it was read.
    format         TEXT NOT NULL,
    bytes          BLOB NOT NULL,
    imported_at    TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%SZ', 'now')),
    CHECK ((invoice_id IS NULL) <> (credit_note_id IS NULL))
) STRICT;
CREATE TRIGGER einvoice_originals_no_update BEFORE UPDATE ON einvoice_originals BEGIN
    SELECT RAISE(ABORT, 'an imported original is kept as it was received');
END;
