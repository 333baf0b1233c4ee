-- The archive: every document produced, with its exact bytes, as it was sent. Never changed.
CREATE TABLE documents (
    id              INTEGER PRIMARY KEY,
    kind            TEXT NOT NULL CHECK (kind IN ('courtesy', 'reminder', 'final_notice', 'formal_demand', 'statement')),
    customer_id     INTEGER NOT NULL REFERENCES customers(id),
    on_date         TEXT NOT NULL,
    -- The invoice numbers it covers, comma-separated in the letter's order (the key of a
    -- second production the same day, which does not make a second entry).
    invoices        TEXT NOT NULL,
    currency        TEXT NOT NULL,
    due_minor       INTEGER NOT NULL,
    interest_minor  INTEGER NOT NULL DEFAULT 0,
    indemnity_minor INTEGER NOT NULL DEFAULT 0,
    claimed_minor   INTEGER NOT NULL,
    language        TEXT NOT NULL,
    pdf             BLOB NOT NULL,
    created_at      TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%SZ', 'now')),
    UNIQUE (kind, customer_id, on_date, invoices)
) STRICT;
CREATE INDEX documents_customer ON documents(customer_id, on_date);

CREATE TABLE document_invoices (
    document_id INTEGER NOT NULL REFERENCES documents(id),
    invoice_id  INTEGER NOT NULL REFERENCES invoices(id),
    PRIMARY KEY (document_id, invoice_id)
) STRICT, WITHOUT ROWID;
CREATE INDEX document_invoices_invoice ON document_invoices(invoice_id);

CREATE TRIGGER documents_no_update BEFORE UPDATE ON documents BEGIN
    SELECT RAISE(ABORT, 'an archived document is kept as it was sent');
END;
CREATE TRIGGER documents_no_delete BEFORE DELETE ON documents BEGIN
    SELECT RAISE(ABORT, 'an archived document is kept as it was sent');
END;

-- The journal entry of a document links to it.
ALTER TABLE journal ADD COLUMN document_id INTEGER REFERENCES documents(id);
