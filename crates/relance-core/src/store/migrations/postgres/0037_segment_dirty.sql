-- Today's sanction proposals read the day's segment refresh and compute again only the
-- customers whose facts changed since; the file's migration 37 says what each trigger means.
CREATE TABLE segment_dirty (
    customer_id BIGINT PRIMARY KEY
);
ALTER TABLE customer_segments ADD COLUMN rule_code TEXT NOT NULL DEFAULT '';
ALTER TABLE segment_refresh ADD COLUMN lang TEXT NOT NULL DEFAULT '';
ALTER TABLE segment_refresh ADD COLUMN run TEXT NOT NULL DEFAULT '';
DELETE FROM segment_refresh;

-- The roles already let into the ledger mark the customers they write about.
DO $$
DECLARE r record;
BEGIN
    FOR r IN SELECT DISTINCT grantee FROM information_schema.role_table_grants
              WHERE table_schema = current_schema() AND table_name = 'invoices'
                AND privilege_type = 'INSERT' AND grantee <> current_user
    LOOP
        EXECUTE format('GRANT SELECT, INSERT, UPDATE, DELETE ON segment_dirty TO %I', r.grantee);
    END LOOP;
END $$;

CREATE FUNCTION relance_segment_dirty() RETURNS trigger LANGUAGE plpgsql
    SECURITY DEFINER SET search_path FROM CURRENT AS $$
DECLARE r record;
BEGIN
    IF TG_OP = 'DELETE' THEN r := OLD; ELSE r := NEW; END IF;
    IF TG_TABLE_NAME = 'customers' THEN
        INSERT INTO segment_dirty (customer_id) VALUES (r.id) ON CONFLICT DO NOTHING;
    ELSIF TG_TABLE_NAME IN ('disputes', 'allocations') THEN
        INSERT INTO segment_dirty (customer_id)
            SELECT customer_id FROM invoices WHERE id = r.invoice_id ON CONFLICT DO NOTHING;
        IF TG_TABLE_NAME = 'allocations' THEN
            INSERT INTO segment_dirty (customer_id)
                SELECT p.customer_id FROM promise_invoices pi JOIN promises p ON p.id = pi.promise_id
                 WHERE pi.invoice_id = r.invoice_id ON CONFLICT DO NOTHING;
        END IF;
        IF TG_OP = 'UPDATE' THEN
            INSERT INTO segment_dirty (customer_id)
                SELECT customer_id FROM invoices WHERE id = OLD.invoice_id ON CONFLICT DO NOTHING;
        END IF;
    ELSIF TG_TABLE_NAME = 'payment_reversals' THEN
        INSERT INTO segment_dirty (customer_id)
            SELECT customer_id FROM payments WHERE id = r.payment_id ON CONFLICT DO NOTHING;
    ELSIF TG_TABLE_NAME = 'journal_invoices' THEN
        INSERT INTO segment_dirty (customer_id)
            SELECT customer_id FROM journal WHERE id = r.journal_id ON CONFLICT DO NOTHING;
    ELSIF TG_TABLE_NAME = 'promise_invoices' THEN
        INSERT INTO segment_dirty (customer_id)
            SELECT customer_id FROM promises WHERE id = r.promise_id ON CONFLICT DO NOTHING;
    ELSE
        INSERT INTO segment_dirty (customer_id) VALUES (r.customer_id) ON CONFLICT DO NOTHING;
        IF TG_OP = 'UPDATE' THEN
            INSERT INTO segment_dirty (customer_id) VALUES (OLD.customer_id) ON CONFLICT DO NOTHING;
        END IF;
        -- A promise is its maker's, whoever the invoice it names belongs to now.
        IF TG_TABLE_NAME = 'invoices' AND TG_OP = 'UPDATE' THEN
            INSERT INTO segment_dirty (customer_id)
                SELECT p.customer_id FROM promise_invoices pi JOIN promises p ON p.id = pi.promise_id
                 WHERE pi.invoice_id = NEW.id ON CONFLICT DO NOTHING;
        END IF;
    END IF;
    RETURN NULL;
END $$;
CREATE FUNCTION relance_segment_stale() RETURNS trigger LANGUAGE plpgsql
    SECURITY DEFINER SET search_path FROM CURRENT AS $$
DECLARE
    keys TEXT[] := ARRAY['default_currency', 'promise_grace_days', 'segment_min_paid',
                         'segment_good_days', 'segment_slow_days', 'segment_forgetful_days',
                         'segment_trend_days'];
BEGIN
    IF (TG_OP = 'INSERT' AND NEW.key = ANY(keys))
       OR (TG_OP = 'DELETE' AND OLD.key = ANY(keys))
       OR (TG_OP = 'UPDATE' AND NEW.value IS DISTINCT FROM OLD.value
           AND (NEW.key = ANY(keys) OR OLD.key = ANY(keys))) THEN
        DELETE FROM segment_refresh;
    END IF;
    RETURN NULL;
END $$;

CREATE TRIGGER segment_dirty_invoice_new AFTER INSERT ON invoices FOR EACH ROW
    EXECUTE FUNCTION relance_segment_dirty();
CREATE TRIGGER segment_dirty_invoice AFTER UPDATE ON invoices FOR EACH ROW
    EXECUTE FUNCTION relance_segment_dirty();
CREATE TRIGGER segment_dirty_invoice_gone AFTER DELETE ON invoices FOR EACH ROW
    EXECUTE FUNCTION relance_segment_dirty();
CREATE TRIGGER segment_dirty_payment_new AFTER INSERT ON payments FOR EACH ROW
    EXECUTE FUNCTION relance_segment_dirty();
CREATE TRIGGER segment_dirty_payment AFTER UPDATE ON payments FOR EACH ROW
    EXECUTE FUNCTION relance_segment_dirty();
CREATE TRIGGER segment_dirty_payment_gone AFTER DELETE ON payments FOR EACH ROW
    EXECUTE FUNCTION relance_segment_dirty();
CREATE TRIGGER segment_dirty_journal AFTER INSERT ON journal FOR EACH ROW
    WHEN (NEW.kind <> 'note' OR NEW.action IS DISTINCT FROM 'segment')
    EXECUTE FUNCTION relance_segment_dirty();
CREATE TRIGGER segment_dirty_journal_invoice AFTER INSERT ON journal_invoices FOR EACH ROW
    EXECUTE FUNCTION relance_segment_dirty();
CREATE TRIGGER segment_dirty_journal_invoice_gone AFTER DELETE ON journal_invoices FOR EACH ROW
    EXECUTE FUNCTION relance_segment_dirty();
CREATE TRIGGER segment_dirty_promise_new AFTER INSERT ON promises FOR EACH ROW
    EXECUTE FUNCTION relance_segment_dirty();
CREATE TRIGGER segment_dirty_promise AFTER UPDATE ON promises FOR EACH ROW
    EXECUTE FUNCTION relance_segment_dirty();
CREATE TRIGGER segment_dirty_promise_gone AFTER DELETE ON promises FOR EACH ROW
    EXECUTE FUNCTION relance_segment_dirty();
CREATE TRIGGER segment_dirty_promise_invoice AFTER INSERT ON promise_invoices FOR EACH ROW
    EXECUTE FUNCTION relance_segment_dirty();
CREATE TRIGGER segment_dirty_promise_invoice_gone AFTER DELETE ON promise_invoices FOR EACH ROW
    EXECUTE FUNCTION relance_segment_dirty();
CREATE TRIGGER segment_dirty_dispute_new AFTER INSERT ON disputes FOR EACH ROW
    EXECUTE FUNCTION relance_segment_dirty();
CREATE TRIGGER segment_dirty_dispute AFTER UPDATE ON disputes FOR EACH ROW
    EXECUTE FUNCTION relance_segment_dirty();
CREATE TRIGGER segment_dirty_dispute_gone AFTER DELETE ON disputes FOR EACH ROW
    EXECUTE FUNCTION relance_segment_dirty();
CREATE TRIGGER segment_dirty_allocation_new AFTER INSERT ON allocations FOR EACH ROW
    EXECUTE FUNCTION relance_segment_dirty();
CREATE TRIGGER segment_dirty_allocation_gone AFTER DELETE ON allocations FOR EACH ROW
    EXECUTE FUNCTION relance_segment_dirty();
CREATE TRIGGER segment_dirty_reversal_new AFTER INSERT ON payment_reversals FOR EACH ROW
    EXECUTE FUNCTION relance_segment_dirty();
CREATE TRIGGER segment_dirty_reversal_gone AFTER DELETE ON payment_reversals FOR EACH ROW
    EXECUTE FUNCTION relance_segment_dirty();
CREATE TRIGGER segment_dirty_customer_new AFTER INSERT ON customers FOR EACH ROW
    EXECUTE FUNCTION relance_segment_dirty();
CREATE TRIGGER segment_dirty_customer AFTER UPDATE OF reference, name, credit_limit_minor, on_hold, archived_on ON customers FOR EACH ROW
    EXECUTE FUNCTION relance_segment_dirty();
CREATE TRIGGER segment_dirty_override_new AFTER INSERT ON segment_overrides FOR EACH ROW
    EXECUTE FUNCTION relance_segment_dirty();
CREATE TRIGGER segment_dirty_override AFTER UPDATE ON segment_overrides FOR EACH ROW
    EXECUTE FUNCTION relance_segment_dirty();
CREATE TRIGGER segment_dirty_override_gone AFTER DELETE ON segment_overrides FOR EACH ROW
    EXECUTE FUNCTION relance_segment_dirty();
CREATE TRIGGER segment_stale_setting_new AFTER INSERT ON settings FOR EACH ROW
    EXECUTE FUNCTION relance_segment_stale();
CREATE TRIGGER segment_stale_setting AFTER UPDATE ON settings FOR EACH ROW
    EXECUTE FUNCTION relance_segment_stale();
CREATE TRIGGER segment_stale_setting_gone AFTER DELETE ON settings FOR EACH ROW
    EXECUTE FUNCTION relance_segment_stale();

-- The allocations by date carry their invoice: the settlements view's rows by date (the
-- dashboard's DSO) from the index alone.
DROP INDEX allocations_by_date;
CREATE INDEX allocations_by_date ON allocations(date, amount_minor, invoice_id);
