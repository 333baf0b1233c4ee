-- Issue 23: the file's migration 49 says why.
CREATE INDEX bank_lines_matched ON bank_lines(date, id) WHERE payment_id IS NOT NULL;
CREATE INDEX bank_lines_out ON bank_lines(date, id) WHERE (amount_minor <= 0 OR reversal <> 0);
