-- Relance schema v29: the category of the operation an invoice bills, a mention of France's
-- e-invoicing reform: 'goods' (livraison de biens), 'services' (prestation de services) or
-- 'mixed' (les deux). Chosen on the draft (services by default), 'services' for a
-- contract's invoices; NULL on penalty invoices (no supply) and on invoices issued before.
ALTER TABLE invoice_drafts ADD COLUMN operation TEXT NOT NULL DEFAULT 'services'
    CHECK (operation IN ('goods', 'services', 'mixed'));
ALTER TABLE invoices ADD COLUMN operation TEXT
    CHECK (operation IS NULL OR operation IN ('goods', 'services', 'mixed'));

DROP TRIGGER invoices_issued_immutable;
CREATE TRIGGER invoices_issued_immutable BEFORE UPDATE ON invoices
WHEN OLD.issued = 1 AND (NEW.issued IS NOT OLD.issued OR NEW.number IS NOT OLD.number
    OR NEW.customer_id IS NOT OLD.customer_id OR NEW.issue_date IS NOT OLD.issue_date
    OR NEW.due_date IS NOT OLD.due_date OR NEW.currency IS NOT OLD.currency
    OR NEW.total_minor IS NOT OLD.total_minor OR NEW.net_minor IS NOT OLD.net_minor
    OR NEW.vat_minor IS NOT OLD.vat_minor OR NEW.notes IS NOT OLD.notes
    OR NEW.reference IS NOT OLD.reference OR NEW.delivery_date IS NOT OLD.delivery_date
    OR NEW.exchange_rate_e6 IS NOT OLD.exchange_rate_e6
    OR NEW.vat_eur_minor IS NOT OLD.vat_eur_minor OR NEW.operation IS NOT OLD.operation)
BEGIN
    SELECT RAISE(ABORT, 'an issued invoice is immutable: correct it with a credit note');
END;
