-- Reference-rate decisions the owner enters after the shipped table (ECB, Bank of England),
-- and the French legal interest rate for private individuals, per half-year.
-- Rates are INTEGER: percent x 10,000 (2.15 % is 21500), never floating point.
CREATE TABLE rate_decisions (
    series     TEXT NOT NULL CHECK (series IN ('ecb_mro', 'boe_bank_rate', 'fr_legal_individual')),
    effective  TEXT NOT NULL CHECK (effective GLOB '[0-9][0-9][0-9][0-9]-[0-9][0-9]-[0-9][0-9]'),
    rate_e4    INTEGER NOT NULL CHECK (rate_e4 BETWEEN -100000 AND 1000000),
    PRIMARY KEY (series, effective)
) STRICT, WITHOUT ROWID;
