-- Relance schema v14: the day an invoice was settled (its last payment allocation or credit
-- note), kept with the settled cache: set whenever settled_minor or total_minor changes, in
-- the same statement, NULL while something is still due. Measured reason: the dashboard's
-- forecast dated every paid invoice by grouping all settlements (80,000 on the benchmark)
-- on each display.
ALTER TABLE invoices ADD COLUMN paid_on TEXT;
UPDATE invoices SET paid_on = max(
        COALESCE((SELECT MAX(a.date) FROM allocations a WHERE a.invoice_id = invoices.id), ''),
        COALESCE((SELECT MAX(n.date) FROM credit_notes n WHERE n.invoice_id = invoices.id), ''))
    WHERE settled_minor >= total_minor;
CREATE TRIGGER invoices_paid_on AFTER UPDATE OF settled_minor, total_minor ON invoices BEGIN
    UPDATE invoices SET paid_on = CASE WHEN NEW.settled_minor >= NEW.total_minor THEN max(
            COALESCE((SELECT MAX(a.date) FROM allocations a WHERE a.invoice_id = NEW.id), ''),
            COALESCE((SELECT MAX(n.date) FROM credit_notes n WHERE n.invoice_id = NEW.id), ''))
        END
    WHERE id = NEW.id;
END;
CREATE INDEX invoices_paid ON invoices(currency, customer_id, paid_on, due_date) WHERE paid_on IS NOT NULL;
