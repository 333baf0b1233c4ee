-- Relance schema v31: the delivery address when it differs from the buyer's (issue 21, a
-- mention of France's e-invoicing reform; EN 16931 BG-15, the CII's ShipToTradeParty):
-- where the goods were delivered or the service done (a job site). Typed on the draft,
-- kept on the issued invoice; NULL everywhere when it is the buyer's own address.
ALTER TABLE invoice_drafts ADD COLUMN delivery_street TEXT;
ALTER TABLE invoice_drafts ADD COLUMN delivery_postal_code TEXT;
ALTER TABLE invoice_drafts ADD COLUMN delivery_city TEXT;
ALTER TABLE invoice_drafts ADD COLUMN delivery_country TEXT;
ALTER TABLE invoices ADD COLUMN delivery_street TEXT;
ALTER TABLE invoices ADD COLUMN delivery_postal_code TEXT;
ALTER TABLE invoices ADD COLUMN delivery_city TEXT;
ALTER TABLE invoices ADD COLUMN delivery_country TEXT;

DROP TRIGGER invoices_issued_immutable;
CREATE TRIGGER invoices_issued_immutable BEFORE UPDATE ON invoices
WHEN OLD.issued = 1 AND (NEW.issued IS NOT OLD.issued OR NEW.number IS NOT OLD.number
    OR NEW.customer_id IS NOT OLD.customer_id OR NEW.issue_date IS NOT OLD.issue_date
    OR NEW.due_date IS NOT OLD.due_date OR NEW.currency IS NOT OLD.currency
    OR NEW.total_minor IS NOT OLD.total_minor OR NEW.net_minor IS NOT OLD.net_minor
    OR NEW.vat_minor IS NOT OLD.vat_minor OR NEW.notes IS NOT OLD.notes
    OR NEW.reference IS NOT OLD.reference OR NEW.delivery_date IS NOT OLD.delivery_date
    OR NEW.exchange_rate_e6 IS NOT OLD.exchange_rate_e6
    OR NEW.vat_eur_minor IS NOT OLD.vat_eur_minor OR NEW.operation IS NOT OLD.operation
    OR NEW.delivery_street IS NOT OLD.delivery_street
    OR NEW.delivery_postal_code IS NOT OLD.delivery_postal_code
    OR NEW.delivery_city IS NOT OLD.delivery_city
    OR NEW.delivery_country IS NOT OLD.delivery_country)
BEGIN
    SELECT RAISE(ABORT, 'an issued invoice is immutable: correct it with a credit note');
END;
