-- Relance schema v11: the aged balance reads the open invoices of one currency grouped by
-- customer, filtered on the issue date, from this index alone (measured: the partial index
-- on (customer_id, due_date, …) sent each of 28,000 open rows back to the table for its
-- issue date).
CREATE INDEX invoices_open_aging ON invoices(currency, customer_id, due_date, issue_date, total_minor, settled_minor)
    WHERE settled_minor < total_minor;
