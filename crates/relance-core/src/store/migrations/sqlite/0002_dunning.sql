-- Relance schema v2: dunning scenarios, the journal, promises to pay, disputes, closures.

CREATE TABLE scenarios (
    id         INTEGER PRIMARY KEY,
    -- 'standard', 'key_account', 'late_payer' for the shipped ones; NULL for the user's own.
    code       TEXT UNIQUE,
    name_fr    TEXT NOT NULL CHECK (name_fr <> ''),
    name_en    TEXT NOT NULL CHECK (name_en <> '')
) STRICT;

CREATE TABLE scenario_steps (
    id               INTEGER PRIMARY KEY,
    scenario_id      INTEGER NOT NULL REFERENCES scenarios(id) ON DELETE CASCADE,
    offset_days      INTEGER NOT NULL CHECK (offset_days BETWEEN -90 AND 365),
    channel          TEXT NOT NULL CHECK (channel IN ('email', 'letter', 'phone', 'registered_letter')),
    kind             TEXT NOT NULL CHECK (kind IN ('courtesy', 'reminder', 'final_notice', 'formal_demand', 'statement')),
    tone             TEXT NOT NULL CHECK (tone IN ('friendly', 'firm', 'formal')),
    min_amount_minor INTEGER CHECK (min_amount_minor > 0),
    needs_decision   INTEGER NOT NULL DEFAULT 0 CHECK (needs_decision IN (0, 1)),
    name_fr          TEXT NOT NULL,
    name_en          TEXT NOT NULL,
    script_fr        TEXT NOT NULL DEFAULT '',
    script_en        TEXT NOT NULL DEFAULT '',
    UNIQUE (scenario_id, offset_days)
) STRICT;

-- NULL: the shipped Standard scenario.
ALTER TABLE customers ADD COLUMN scenario_id INTEGER REFERENCES scenarios(id);

CREATE TABLE promises (
    id            INTEGER PRIMARY KEY,
    customer_id   INTEGER NOT NULL REFERENCES customers(id),
    made_on       TEXT NOT NULL,
    promised_date TEXT NOT NULL CHECK (promised_date >= made_on),
    currency      TEXT NOT NULL,
    amount_minor  INTEGER NOT NULL CHECK (amount_minor > 0),
    note          TEXT NOT NULL DEFAULT ''
) STRICT;

CREATE TABLE promise_invoices (
    promise_id INTEGER NOT NULL REFERENCES promises(id),
    invoice_id INTEGER NOT NULL REFERENCES invoices(id),
    PRIMARY KEY (promise_id, invoice_id)
) STRICT, WITHOUT ROWID;
CREATE INDEX promise_invoices_invoice ON promise_invoices(invoice_id);

CREATE TABLE disputes (
    id              INTEGER PRIMARY KEY,
    invoice_id      INTEGER NOT NULL REFERENCES invoices(id),
    category        TEXT NOT NULL CHECK (category IN ('not_delivered', 'wrong_price', 'not_ordered',
                                                      'invoicing_error', 'defective', 'other')),
    note            TEXT NOT NULL DEFAULT '',
    opened_on       TEXT NOT NULL,
    resolved_on     TEXT,
    resolution      TEXT CHECK (resolution IN ('credit_note', 'rejected', 'settled')),
    resolution_note TEXT NOT NULL DEFAULT '',
    CHECK ((resolved_on IS NULL) = (resolution IS NULL))
) STRICT;
-- At most one open dispute per invoice.
CREATE UNIQUE INDEX disputes_open ON disputes(invoice_id) WHERE resolved_on IS NULL;
-- A dispute is opened once and resolved once.
CREATE TRIGGER disputes_resolve_once BEFORE UPDATE ON disputes
WHEN OLD.resolved_on IS NOT NULL OR NEW.invoice_id <> OLD.invoice_id OR NEW.opened_on <> OLD.opened_on
BEGIN
    SELECT RAISE(ABORT, 'a dispute is resolved once; record a new one instead');
END;

-- Written off, or handed over to a collection agency or to court: out of the scenario.
CREATE TABLE invoice_closures (
    invoice_id INTEGER PRIMARY KEY REFERENCES invoices(id),
    kind       TEXT NOT NULL CHECK (kind IN ('write_off', 'agency', 'court')),
    on_date    TEXT NOT NULL,
    reason     TEXT NOT NULL DEFAULT ''
) STRICT;

-- The append-only history of every collection action and money event.
CREATE TABLE journal (
    id          INTEGER PRIMARY KEY,
    at          TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%SZ', 'now')),
    on_date     TEXT NOT NULL,
    customer_id INTEGER NOT NULL REFERENCES customers(id),
    kind        TEXT NOT NULL,
    action      TEXT,
    channel     TEXT,
    amount_minor INTEGER,
    currency    TEXT,
    until_date  TEXT,
    promise_id  INTEGER REFERENCES promises(id),
    dispute_id  INTEGER REFERENCES disputes(id),
    corrects_id INTEGER REFERENCES journal(id),
    note        TEXT NOT NULL DEFAULT ''
) STRICT;
CREATE INDEX journal_customer ON journal(customer_id, id);

-- Which invoices an entry concerns, and at which scenario step (by offset) for actions.
CREATE TABLE journal_invoices (
    journal_id  INTEGER NOT NULL REFERENCES journal(id),
    invoice_id  INTEGER NOT NULL REFERENCES invoices(id),
    step_offset INTEGER,
    PRIMARY KEY (journal_id, invoice_id)
) STRICT, WITHOUT ROWID;
CREATE INDEX journal_invoices_invoice ON journal_invoices(invoice_id);
-- Covering index for the agenda: which steps were acted on, per invoice.
CREATE INDEX journal_invoices_steps ON journal_invoices(invoice_id, step_offset, journal_id)
    WHERE step_offset IS NOT NULL;

CREATE TRIGGER journal_no_update BEFORE UPDATE ON journal BEGIN
    SELECT RAISE(ABORT, 'the journal is append-only: add a correcting entry');
END;
CREATE TRIGGER journal_no_delete BEFORE DELETE ON journal BEGIN
    SELECT RAISE(ABORT, 'the journal is append-only: add a correcting entry');
END;
CREATE TRIGGER journal_invoices_no_change BEFORE UPDATE ON journal_invoices BEGIN
    SELECT RAISE(ABORT, 'the journal is append-only');
END;
