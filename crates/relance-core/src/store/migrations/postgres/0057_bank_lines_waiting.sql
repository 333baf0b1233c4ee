-- Issue 23: the file's migration 57 says why.
DROP INDEX IF EXISTS bank_lines_open;
CREATE INDEX bank_lines_waiting ON bank_lines(date, id)
    WHERE +payment_id IS NULL AND ignored IS NULL AND amount_minor > 0 AND reversal = 0;
