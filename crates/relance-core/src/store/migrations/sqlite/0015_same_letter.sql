-- Issue 18. "The same letter again" is the same content (figures, invoices, wording), not the
-- same kind, invoices and day: a letter made again after a payment the same day is a new
-- document. The UNIQUE key goes (the table is rebuilt, rows and ids kept) and `content`
-- keeps what the letter said, which the archive compares. Rows from before keep ''.
CREATE TABLE documents_new (
    id              INTEGER PRIMARY KEY,
    kind            TEXT NOT NULL CHECK (kind IN ('courtesy', 'reminder', 'final_notice', 'formal_demand', 'statement')),
    customer_id     INTEGER NOT NULL REFERENCES customers(id),
    on_date         TEXT NOT NULL,
    -- The invoice numbers it covers, comma-separated in the letter's order.
    invoices        TEXT NOT NULL,
    currency        TEXT NOT NULL,
    due_minor       INTEGER NOT NULL,
    interest_minor  INTEGER NOT NULL DEFAULT 0,
    indemnity_minor INTEGER NOT NULL DEFAULT 0,
    claimed_minor   INTEGER NOT NULL,
    language        TEXT NOT NULL,
    pdf             BLOB NOT NULL,
    created_at      TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%SZ', 'now')),
    -- What the letter said (its composed figures and wording, JSON): the key of "the same
    -- letter again".
    content         TEXT NOT NULL DEFAULT ''
) STRICT;
INSERT INTO documents_new (id, kind, customer_id, on_date, invoices, currency, due_minor,
        interest_minor, indemnity_minor, claimed_minor, language, pdf, created_at)
    SELECT id, kind, customer_id, on_date, invoices, currency, due_minor,
        interest_minor, indemnity_minor, claimed_minor, language, pdf, created_at
    FROM documents;
DROP TABLE documents;
ALTER TABLE documents_new RENAME TO documents;
CREATE INDEX documents_customer ON documents(customer_id, on_date);
CREATE INDEX documents_same ON documents(kind, customer_id, on_date, invoices);
CREATE TRIGGER documents_no_update BEFORE UPDATE ON documents BEGIN
    SELECT RAISE(ABORT, 'an archived document is kept as it was sent');
END;
CREATE TRIGGER documents_no_delete BEFORE DELETE ON documents BEGIN
    SELECT RAISE(ABORT, 'an archived document is kept as it was sent');
END;

-- Figures as of a past date sum the facts dated up to it; these say at once whether any
-- fact is dated after it (when none is, the settled cache is exact).
CREATE INDEX allocations_date ON allocations(date);
CREATE INDEX credit_notes_date ON credit_notes(date);

-- Files a committed write staged (`NAME.partial`) and has not yet named: noted in the
-- write's own transaction, named and forgotten after the commit, or at the next start if
-- the process died in between (`store::finish_pending`).
CREATE TABLE pending_files (
    path TEXT PRIMARY KEY NOT NULL
) STRICT;

-- A milestone's share as typed ("1/3" of the total, or "33.33" percent): the exact share an
-- amendment plans with again; share_e4 stays the rounded percentage shown.
ALTER TABLE milestones ADD COLUMN share_text TEXT NOT NULL DEFAULT '';
