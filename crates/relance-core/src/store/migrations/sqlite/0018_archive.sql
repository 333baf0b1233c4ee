-- Archived customers (issue 19): hidden from the lists, the pickers and Today, kept with
-- their history; the date they were archived, NULL while they are not.
ALTER TABLE customers ADD COLUMN archived_on TEXT;
