-- Issue 23: the customers by name in byte order, for a payer segment's page; the file's
-- migration 53 says why.
CREATE INDEX customers_name_bytes ON customers((name COLLATE "C"), id);
