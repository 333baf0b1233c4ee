-- Penalties invoiced: each penalty invoice charges the interest of one invoice up to a day
-- (and the fixed indemnity once), so the same days are never charged twice.
CREATE TABLE penalty_charges (
    id                 INTEGER PRIMARY KEY,
    source_invoice_id  INTEGER NOT NULL REFERENCES invoices(id),
    penalty_invoice_id INTEGER NOT NULL UNIQUE REFERENCES invoices(id),
    through_date       TEXT NOT NULL,
    interest_minor     INTEGER NOT NULL CHECK (interest_minor >= 0),
    indemnity_minor    INTEGER NOT NULL CHECK (indemnity_minor >= 0)
) STRICT;
CREATE INDEX penalty_charges_source ON penalty_charges(source_invoice_id, through_date);
CREATE TRIGGER penalty_charges_no_update BEFORE UPDATE ON penalty_charges BEGIN
    SELECT RAISE(ABORT, 'a penalty charge is kept as invoiced');
END;
CREATE TRIGGER penalty_charges_no_delete BEFORE DELETE ON penalty_charges BEGIN
    SELECT RAISE(ABORT, 'a penalty charge is kept as invoiced');
END;
