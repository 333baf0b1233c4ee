-- Issue 23: the file's migration 61 says why. The same set as ranges, compared in the "C"
-- collation (code points), as bank::book's odd_numbers says it.
DROP INDEX IF EXISTS invoices_number_odd;
CREATE INDEX invoices_number_odd ON invoices(id)
    WHERE (number COLLATE "C") ~ '[^-A-Za-z0-9 ./_]';
