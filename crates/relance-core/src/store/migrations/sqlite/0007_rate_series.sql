-- A fourth series: the French legal interest rate for professionals (per half-year), to warn
-- when the late-payment rate of the owner's terms is below three times it (L441-10).
-- SQLite cannot change a CHECK: the table is rebuilt with its rows.
CREATE TABLE rate_decisions_new (
    series     TEXT NOT NULL CHECK (series IN ('ecb_mro', 'boe_bank_rate', 'fr_legal_individual', 'fr_legal_professional')),
    effective  TEXT NOT NULL CHECK (effective GLOB '[0-9][0-9][0-9][0-9]-[0-9][0-9]-[0-9][0-9]'),
    rate_e4    INTEGER NOT NULL CHECK (rate_e4 BETWEEN -100000 AND 1000000),
    PRIMARY KEY (series, effective)
) STRICT, WITHOUT ROWID;
INSERT INTO rate_decisions_new SELECT series, effective, rate_e4 FROM rate_decisions;
DROP TABLE rate_decisions;
ALTER TABLE rate_decisions_new RENAME TO rate_decisions;
