-- The dashboard's forecast reads each customer's habits from the day's segment refresh and
-- computes again only the customers whose invoices or payments changed since; the file's
-- migration 39 says what each trigger means.
ALTER TABLE customer_segments ADD COLUMN late_days BIGINT NOT NULL DEFAULT 0;
ALTER TABLE customer_segments ADD COLUMN pay_day TEXT NOT NULL DEFAULT '';
CREATE TABLE habits_dirty (
    customer_id BIGINT PRIMARY KEY
);
DELETE FROM segment_refresh;

-- A table a migration adds, granted to the roles already let into the ledger (those who
-- may write invoices; a role let in later gets every table, store::grant): the block
-- migrations 36 to 38 each spelled out, written once for this one and the next. Run by the
-- migrations only.
CREATE FUNCTION relance_grant_admitted(tbl TEXT) RETURNS void LANGUAGE plpgsql
    SET search_path FROM CURRENT AS $$
DECLARE r record;
BEGIN
    FOR r IN SELECT DISTINCT grantee FROM information_schema.role_table_grants
              WHERE table_schema = current_schema() AND table_name = 'invoices'
                AND privilege_type = 'INSERT' AND grantee <> current_user
    LOOP
        EXECUTE format('GRANT SELECT, INSERT, UPDATE, DELETE ON %I TO %I', tbl, r.grantee);
    END LOOP;
END $$;
REVOKE EXECUTE ON FUNCTION relance_grant_admitted(TEXT) FROM PUBLIC;
-- The roles already let into the ledger mark the customers they write about.
SELECT relance_grant_admitted('habits_dirty');

CREATE FUNCTION relance_habits_dirty() RETURNS trigger LANGUAGE plpgsql
    SECURITY DEFINER SET search_path FROM CURRENT AS $$
BEGIN
    IF TG_OP <> 'DELETE' THEN
        INSERT INTO habits_dirty (customer_id) VALUES (NEW.customer_id) ON CONFLICT DO NOTHING;
    END IF;
    IF TG_OP <> 'INSERT' THEN
        INSERT INTO habits_dirty (customer_id) VALUES (OLD.customer_id) ON CONFLICT DO NOTHING;
    END IF;
    RETURN NULL;
END $$;

CREATE TRIGGER habits_dirty_invoice_new AFTER INSERT ON invoices FOR EACH ROW
    EXECUTE FUNCTION relance_habits_dirty();
CREATE TRIGGER habits_dirty_invoice AFTER UPDATE OF customer_id, currency, due_date, paid_on, settled_minor,
    total_minor
    ON invoices FOR EACH ROW EXECUTE FUNCTION relance_habits_dirty();
CREATE TRIGGER habits_dirty_invoice_gone AFTER DELETE ON invoices FOR EACH ROW
    EXECUTE FUNCTION relance_habits_dirty();
CREATE TRIGGER habits_dirty_payment_new AFTER INSERT ON payments FOR EACH ROW
    EXECUTE FUNCTION relance_habits_dirty();
CREATE TRIGGER habits_dirty_payment AFTER UPDATE OF customer_id, currency, date ON payments
    FOR EACH ROW EXECUTE FUNCTION relance_habits_dirty();
CREATE TRIGGER habits_dirty_payment_gone AFTER DELETE ON payments FOR EACH ROW
    EXECUTE FUNCTION relance_habits_dirty();
