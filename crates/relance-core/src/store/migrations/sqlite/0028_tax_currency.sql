-- Relance schema v28: an invoice in a currency other than the euro, issued by a French owner,
-- states its VAT in euros too (CGI art. 242 nonies A; EN 16931 BT-6 and BT-111), at the
-- exchange rate the owner enters on the draft: euros for one unit of the invoice's currency,
-- × 1,000,000 (1.165 is 1165000). The VAT in euros is computed once, at issue, and kept.
ALTER TABLE invoice_drafts ADD COLUMN exchange_rate_e6 INTEGER
    CHECK (exchange_rate_e6 IS NULL OR exchange_rate_e6 > 0);
ALTER TABLE invoices ADD COLUMN exchange_rate_e6 INTEGER;
ALTER TABLE invoices ADD COLUMN vat_eur_minor INTEGER;

DROP TRIGGER invoices_issued_immutable;
CREATE TRIGGER invoices_issued_immutable BEFORE UPDATE ON invoices
WHEN OLD.issued = 1 AND (NEW.issued IS NOT OLD.issued OR NEW.number IS NOT OLD.number
    OR NEW.customer_id IS NOT OLD.customer_id OR NEW.issue_date IS NOT OLD.issue_date
    OR NEW.due_date IS NOT OLD.due_date OR NEW.currency IS NOT OLD.currency
    OR NEW.total_minor IS NOT OLD.total_minor OR NEW.net_minor IS NOT OLD.net_minor
    OR NEW.vat_minor IS NOT OLD.vat_minor OR NEW.notes IS NOT OLD.notes
    OR NEW.reference IS NOT OLD.reference OR NEW.delivery_date IS NOT OLD.delivery_date
    OR NEW.exchange_rate_e6 IS NOT OLD.exchange_rate_e6
    OR NEW.vat_eur_minor IS NOT OLD.vat_eur_minor)
BEGIN
    SELECT RAISE(ABORT, 'an issued invoice is immutable: correct it with a credit note');
END;
