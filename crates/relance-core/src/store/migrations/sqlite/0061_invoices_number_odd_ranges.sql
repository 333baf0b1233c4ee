-- Issue 23. The partial index of the invoice numbers with a character outside ASCII
-- letters, digits, '-', '.', '/', '_' and a space (migration 50) names that set as ranges:
-- GLOB compares each character of a number with each member of its set, 67 characters
-- listed one by one before, 5 characters and 3 ranges now, for the same set (a '-' right
-- after '^' is itself; A-Z, a-z, 0-9 are those characters' code points). Building the
-- index, as a million invoices' import into a file does at its end, took 1.0-1.5 s;
-- 0.2-0.4 s now. bank::book's odd_numbers
-- says it word for word, so the planner finds this index.
DROP INDEX IF EXISTS invoices_number_odd;
CREATE INDEX invoices_number_odd ON invoices(id)
    WHERE number GLOB '*[^-A-Za-z0-9 ./_]*';
