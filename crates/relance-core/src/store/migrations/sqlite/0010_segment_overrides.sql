-- Relance schema v10: the owner's own choice of a customer's payer segment, with the
-- reason (the history keeps each choice); without a row, the rules decide.
CREATE TABLE segment_overrides (
    customer_id INTEGER PRIMARY KEY REFERENCES customers(id),
    segment     TEXT NOT NULL CHECK (segment IN ('new', 'good_payer', 'forgetful', 'slow_payer', 'at_risk', 'in_dispute')),
    reason      TEXT NOT NULL CHECK (reason <> ''),
    set_on      TEXT NOT NULL
) STRICT;
