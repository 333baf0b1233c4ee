-- Bank statements (issue 20). An import is a batch the owner can undo whole; each line is
-- kept once, by its identity (the account plus the bank's own reference, else the entry's
-- reference and the transaction's index, else the OFX FITID, else date + amount + text +
-- occurrence in the file). A line's proposal is derived when read; only the owner's
-- decisions are stored: the payment it became, or "not a customer payment" with a reason.
CREATE TABLE bank_imports (
    id          INTEGER PRIMARY KEY,
    imported_on TEXT NOT NULL,
    files       TEXT NOT NULL,
    format      TEXT NOT NULL,
    line_count  INTEGER NOT NULL,
    duplicates  INTEGER NOT NULL,
    -- The last document produced before the import: one produced after it, on an invoice
    -- the import paid, blocks its undo (timestamps are too coarse to order the two).
    last_document_id INTEGER NOT NULL DEFAULT 0,
    created_at  TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%SZ', 'now'))
) STRICT;

CREATE TABLE bank_statements (
    id            INTEGER PRIMARY KEY,
    import_id     INTEGER NOT NULL REFERENCES bank_imports(id),
    account       TEXT NOT NULL,
    currency      TEXT NOT NULL,
    opening_minor INTEGER,
    closing_minor INTEGER,
    from_date     TEXT,
    to_date       TEXT
) STRICT;

CREATE TABLE bank_lines (
    id            INTEGER PRIMARY KEY,
    import_id     INTEGER NOT NULL REFERENCES bank_imports(id),
    account       TEXT NOT NULL,
    identity      TEXT NOT NULL UNIQUE,
    booking_date  TEXT,
    value_date    TEXT,
    -- The day the money is at the owner's disposal: the value date, else the booking date.
    date          TEXT NOT NULL,
    amount_minor  INTEGER NOT NULL CHECK (amount_minor <> 0),
    currency      TEXT NOT NULL,
    party         TEXT NOT NULL,
    party_account TEXT NOT NULL,
    text          TEXT NOT NULL,
    reference     TEXT NOT NULL,
    end_to_end    TEXT NOT NULL,
    reversal      INTEGER NOT NULL CHECK (reversal IN (0, 1)),
    payment_id    INTEGER UNIQUE REFERENCES payments(id),
    ignored       TEXT,
    CHECK (payment_id IS NULL OR ignored IS NULL)
) STRICT;

CREATE INDEX bank_lines_import ON bank_lines(import_id);
CREATE INDEX bank_lines_open ON bank_lines(date) WHERE payment_id IS NULL AND ignored IS NULL;

-- A bank CSV layout's column mapping, JSON (bank::csv::Mapping), by the layout's key.
CREATE TABLE bank_csv_mappings (
    layout  TEXT PRIMARY KEY,
    mapping TEXT NOT NULL
) STRICT;

-- The accounts a customer pays from: typed by the owner, or learnt from a confirmed match.
CREATE TABLE payer_accounts (
    customer_id INTEGER NOT NULL REFERENCES customers(id),
    account     TEXT NOT NULL,
    PRIMARY KEY (customer_id, account)
) STRICT;
CREATE INDEX payer_accounts_account ON payer_accounts(account);

-- RF creditor references Relance allocated: one per invoice, one per letter covering several.
CREATE TABLE payment_references (
    id        INTEGER PRIMARY KEY,
    reference TEXT NOT NULL UNIQUE
) STRICT;
CREATE TABLE payment_reference_invoices (
    reference_id INTEGER NOT NULL REFERENCES payment_references(id),
    invoice_id   INTEGER NOT NULL REFERENCES invoices(id),
    PRIMARY KEY (reference_id, invoice_id)
) STRICT;
CREATE INDEX payment_reference_invoice ON payment_reference_invoices(invoice_id);
