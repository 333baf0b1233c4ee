-- Relance schema v1: settings, customers, invoices, payments and their allocation, credit notes.
-- Amounts are INTEGER minor units of the row's currency. Dates are ISO 8601 TEXT (YYYY-MM-DD).

CREATE TABLE settings (
    key   TEXT PRIMARY KEY NOT NULL,
    value TEXT NOT NULL
) STRICT;

CREATE TABLE company_logo (
    id   INTEGER PRIMARY KEY CHECK (id = 1),
    mime TEXT NOT NULL CHECK (mime IN ('image/png', 'image/jpeg')),
    data BLOB NOT NULL
) STRICT;

CREATE TABLE customers (
    id                 INTEGER PRIMARY KEY,
    reference          TEXT NOT NULL UNIQUE COLLATE NOCASE CHECK (reference <> ''),
    name               TEXT NOT NULL CHECK (name <> ''),
    kind               TEXT NOT NULL CHECK (kind IN ('business', 'individual')),
    language           TEXT NOT NULL CHECK (language IN ('fr', 'en')),
    email              TEXT NOT NULL DEFAULT '',
    phone              TEXT NOT NULL DEFAULT '',
    address            TEXT NOT NULL DEFAULT '',
    postal_code        TEXT NOT NULL DEFAULT '',
    city               TEXT NOT NULL DEFAULT '',
    country            TEXT NOT NULL DEFAULT '',
    payment_method     TEXT NOT NULL DEFAULT 'transfer'
                       CHECK (payment_method IN ('transfer', 'direct_debit', 'card', 'cheque', 'cash')),
    payment_terms_days INTEGER CHECK (payment_terms_days BETWEEN 0 AND 365),
    contact_name       TEXT NOT NULL DEFAULT '',
    contact_email      TEXT NOT NULL DEFAULT '',
    contact_phone      TEXT NOT NULL DEFAULT '',
    payment_notes      TEXT NOT NULL DEFAULT '',
    credit_limit_minor INTEGER CHECK (credit_limit_minor >= 0),
    on_hold            INTEGER NOT NULL DEFAULT 0 CHECK (on_hold IN (0, 1)),
    hold_reason        TEXT NOT NULL DEFAULT '',
    created_at         TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%SZ', 'now')),
    updated_at         TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%SZ', 'now'))
) STRICT;

CREATE INDEX customers_name ON customers(name COLLATE NOCASE);

CREATE TABLE invoices (
    id            INTEGER PRIMARY KEY,
    number        TEXT NOT NULL UNIQUE COLLATE NOCASE CHECK (number <> ''),
    customer_id   INTEGER NOT NULL REFERENCES customers(id),
    issue_date    TEXT NOT NULL,
    due_date      TEXT NOT NULL,
    currency      TEXT NOT NULL,
    total_minor   INTEGER NOT NULL CHECK (total_minor > 0),
    net_minor     INTEGER CHECK (net_minor > 0 AND net_minor <= total_minor),
    -- Cache of SUM(allocations) + SUM(credit notes), kept by the triggers below in the same
    -- transaction as the write that changes it (see ARCHITECTURE.md, "settled cache").
    settled_minor INTEGER NOT NULL DEFAULT 0 CHECK (settled_minor >= 0 AND settled_minor <= total_minor),
    reference     TEXT NOT NULL DEFAULT '',
    notes         TEXT NOT NULL DEFAULT '',
    created_at    TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%SZ', 'now')),
    updated_at    TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%SZ', 'now')),
    CHECK (due_date >= issue_date)
) STRICT;

CREATE INDEX invoices_customer ON invoices(customer_id, due_date);
CREATE INDEX invoices_due ON invoices(due_date);
CREATE INDEX invoices_open_due ON invoices(due_date) WHERE settled_minor < total_minor;
-- Covering: per-customer open totals (Customers list, dashboard) are read from the index alone.
CREATE INDEX invoices_open_customer ON invoices(customer_id, due_date, currency, total_minor, settled_minor)
    WHERE settled_minor < total_minor;

CREATE TABLE payments (
    id           INTEGER PRIMARY KEY,
    customer_id  INTEGER NOT NULL REFERENCES customers(id),
    date         TEXT NOT NULL,
    currency     TEXT NOT NULL,
    amount_minor INTEGER NOT NULL CHECK (amount_minor > 0),
    method       TEXT NOT NULL CHECK (method IN ('transfer', 'direct_debit', 'card', 'cheque', 'cash')),
    reference    TEXT NOT NULL DEFAULT '',
    note         TEXT NOT NULL DEFAULT '',
    created_at   TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%SZ', 'now'))
) STRICT;

CREATE INDEX payments_customer ON payments(customer_id, date);

-- Which part of a payment settles which invoice. Unallocated remainder = customer credit.
CREATE TABLE allocations (
    id           INTEGER PRIMARY KEY,
    payment_id   INTEGER NOT NULL REFERENCES payments(id),
    invoice_id   INTEGER NOT NULL REFERENCES invoices(id),
    amount_minor INTEGER NOT NULL CHECK (amount_minor > 0),
    date         TEXT NOT NULL
) STRICT;

CREATE INDEX allocations_invoice ON allocations(invoice_id);
CREATE INDEX allocations_payment ON allocations(payment_id);

CREATE TABLE credit_notes (
    id           INTEGER PRIMARY KEY,
    number       TEXT NOT NULL UNIQUE COLLATE NOCASE CHECK (number <> ''),
    invoice_id   INTEGER NOT NULL REFERENCES invoices(id),
    date         TEXT NOT NULL,
    amount_minor INTEGER NOT NULL CHECK (amount_minor > 0),
    reason       TEXT NOT NULL DEFAULT '',
    created_at   TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%SZ', 'now'))
) STRICT;

CREATE INDEX credit_notes_invoice ON credit_notes(invoice_id);

CREATE TRIGGER allocations_settle AFTER INSERT ON allocations BEGIN
    UPDATE invoices SET settled_minor = settled_minor + NEW.amount_minor WHERE id = NEW.invoice_id;
END;
CREATE TRIGGER allocations_unsettle AFTER DELETE ON allocations BEGIN
    UPDATE invoices SET settled_minor = settled_minor - OLD.amount_minor WHERE id = OLD.invoice_id;
END;
CREATE TRIGGER credit_notes_settle AFTER INSERT ON credit_notes BEGIN
    UPDATE invoices SET settled_minor = settled_minor + NEW.amount_minor WHERE id = NEW.invoice_id;
END;
CREATE TRIGGER credit_notes_unsettle AFTER DELETE ON credit_notes BEGIN
    UPDATE invoices SET settled_minor = settled_minor - OLD.amount_minor WHERE id = OLD.invoice_id;
END;
-- Settlements are facts: corrections are new rows, never edits.
CREATE TRIGGER allocations_no_update BEFORE UPDATE ON allocations BEGIN
    SELECT RAISE(ABORT, 'allocations are append-only');
END;
CREATE TRIGGER credit_notes_no_update BEFORE UPDATE OF invoice_id, amount_minor ON credit_notes BEGIN
    SELECT RAISE(ABORT, 'credit note amounts are append-only');
END;
