-- Issue 23: the file's migration 56 says why.
CREATE INDEX bank_lines_ignored ON bank_lines(date, id) WHERE ignored IS NOT NULL;
