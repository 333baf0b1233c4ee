-- Today reads what may be due, not every open invoice (dunning::wake); the file's
-- migration 36 says what each row and trigger means.
CREATE TABLE agenda_wake (
    invoice_id BIGINT PRIMARY KEY REFERENCES invoices(id) ON DELETE CASCADE,
    wake_on    TEXT NOT NULL
);
CREATE INDEX agenda_wake_on ON agenda_wake(wake_on);
CREATE TABLE agenda_wake_since (
    id  BIGINT PRIMARY KEY CHECK (id = 1),
    day TEXT NOT NULL
);
INSERT INTO agenda_wake (invoice_id, wake_on)
    SELECT id, '' FROM invoices WHERE settled_minor < total_minor;

-- The roles already let into the ledger keep and read the wake dates as they write.
DO $$
DECLARE r record;
BEGIN
    FOR r IN SELECT DISTINCT grantee FROM information_schema.role_table_grants
              WHERE table_schema = current_schema() AND table_name = 'invoices'
                AND privilege_type = 'INSERT' AND grantee <> current_user
    LOOP
        EXECUTE format('GRANT SELECT, INSERT, UPDATE, DELETE ON agenda_wake, agenda_wake_since TO %I',
                       r.grantee);
    END LOOP;
END $$;

CREATE FUNCTION relance_wake_open() RETURNS trigger LANGUAGE plpgsql
    SECURITY DEFINER SET search_path FROM CURRENT AS $$
BEGIN
    INSERT INTO agenda_wake (invoice_id, wake_on) VALUES (NEW.id, '')
        ON CONFLICT (invoice_id) DO UPDATE SET wake_on = '';
    RETURN NULL;
END $$;
CREATE FUNCTION relance_wake_close() RETURNS trigger LANGUAGE plpgsql
    SECURITY DEFINER SET search_path FROM CURRENT AS $$
BEGIN
    DELETE FROM agenda_wake WHERE invoice_id = NEW.id;
    RETURN NULL;
END $$;
CREATE FUNCTION relance_wake_invoice() RETURNS trigger LANGUAGE plpgsql
    SECURITY DEFINER SET search_path FROM CURRENT AS $$
BEGIN
    IF TG_TABLE_NAME = 'invoices' THEN
        UPDATE agenda_wake SET wake_on = '' WHERE invoice_id = NEW.id;
    ELSIF TG_OP = 'DELETE' THEN
        UPDATE agenda_wake SET wake_on = '' WHERE invoice_id = OLD.invoice_id;
    ELSE
        UPDATE agenda_wake SET wake_on = '' WHERE invoice_id = NEW.invoice_id;
    END IF;
    RETURN NULL;
END $$;
CREATE FUNCTION relance_wake_undo() RETURNS trigger LANGUAGE plpgsql
    SECURITY DEFINER SET search_path FROM CURRENT AS $$
BEGIN
    UPDATE agenda_wake SET wake_on = ''
     WHERE invoice_id IN (SELECT invoice_id FROM journal_invoices WHERE journal_id = NEW.corrects_id);
    RETURN NULL;
END $$;
CREATE FUNCTION relance_wake_customer() RETURNS trigger LANGUAGE plpgsql
    SECURITY DEFINER SET search_path FROM CURRENT AS $$
BEGIN
    IF TG_TABLE_NAME = 'customers' THEN
        UPDATE agenda_wake SET wake_on = ''
         WHERE invoice_id IN (SELECT id FROM invoices WHERE customer_id = NEW.id);
    ELSIF TG_OP = 'DELETE' THEN
        UPDATE agenda_wake SET wake_on = ''
         WHERE invoice_id IN (SELECT id FROM invoices WHERE customer_id = OLD.customer_id);
    ELSIF TG_OP = 'UPDATE' THEN
        UPDATE agenda_wake SET wake_on = ''
         WHERE invoice_id IN (SELECT id FROM invoices
                               WHERE customer_id IN (NEW.customer_id, OLD.customer_id));
    ELSE
        UPDATE agenda_wake SET wake_on = ''
         WHERE invoice_id IN (SELECT id FROM invoices WHERE customer_id = NEW.customer_id);
    END IF;
    RETURN NULL;
END $$;
CREATE FUNCTION relance_wake_all() RETURNS trigger LANGUAGE plpgsql
    SECURITY DEFINER SET search_path FROM CURRENT AS $$
BEGIN
    UPDATE agenda_wake SET wake_on = '' WHERE wake_on <> '';
    RETURN NULL;
END $$;

CREATE TRIGGER agenda_wake_new AFTER INSERT ON invoices FOR EACH ROW
    WHEN (NEW.settled_minor < NEW.total_minor) EXECUTE FUNCTION relance_wake_open();
CREATE TRIGGER agenda_wake_reopened AFTER UPDATE OF settled_minor, total_minor ON invoices FOR EACH ROW
    WHEN (NEW.settled_minor < NEW.total_minor AND NOT (OLD.settled_minor < OLD.total_minor))
    EXECUTE FUNCTION relance_wake_open();
CREATE TRIGGER agenda_wake_closed AFTER UPDATE OF settled_minor, total_minor ON invoices FOR EACH ROW
    WHEN (NOT (NEW.settled_minor < NEW.total_minor) AND OLD.settled_minor < OLD.total_minor)
    EXECUTE FUNCTION relance_wake_close();
CREATE TRIGGER agenda_wake_invoice AFTER UPDATE OF due_date, customer_id ON invoices FOR EACH ROW
    WHEN (NEW.due_date IS DISTINCT FROM OLD.due_date OR NEW.customer_id IS DISTINCT FROM OLD.customer_id)
    EXECUTE FUNCTION relance_wake_invoice();
CREATE TRIGGER agenda_wake_step AFTER INSERT ON journal_invoices FOR EACH ROW
    WHEN (NEW.step_offset IS NOT NULL) EXECUTE FUNCTION relance_wake_invoice();
CREATE TRIGGER agenda_wake_step_gone AFTER DELETE ON journal_invoices FOR EACH ROW
    WHEN (OLD.step_offset IS NOT NULL) EXECUTE FUNCTION relance_wake_invoice();
CREATE TRIGGER agenda_wake_undo AFTER INSERT ON journal FOR EACH ROW
    WHEN (NEW.kind = 'action_undone') EXECUTE FUNCTION relance_wake_undo();
CREATE TRIGGER agenda_wake_customer AFTER UPDATE OF scenario_id, key_account ON customers FOR EACH ROW
    WHEN (NEW.scenario_id IS DISTINCT FROM OLD.scenario_id OR NEW.key_account IS DISTINCT FROM OLD.key_account)
    EXECUTE FUNCTION relance_wake_customer();
CREATE TRIGGER agenda_wake_segment_new AFTER INSERT ON customer_segments FOR EACH ROW
    EXECUTE FUNCTION relance_wake_customer();
CREATE TRIGGER agenda_wake_segment AFTER UPDATE ON customer_segments FOR EACH ROW
    WHEN (NEW.segment IS DISTINCT FROM OLD.segment OR NEW.customer_id IS DISTINCT FROM OLD.customer_id)
    EXECUTE FUNCTION relance_wake_customer();
CREATE TRIGGER agenda_wake_segment_gone AFTER DELETE ON customer_segments FOR EACH ROW
    EXECUTE FUNCTION relance_wake_customer();
CREATE TRIGGER agenda_wake_scenario_new AFTER INSERT ON scenarios FOR EACH ROW
    WHEN (NEW.code IS NOT NULL) EXECUTE FUNCTION relance_wake_all();
CREATE TRIGGER agenda_wake_scenario AFTER UPDATE OF code ON scenarios FOR EACH ROW
    WHEN (NEW.code IS DISTINCT FROM OLD.code) EXECUTE FUNCTION relance_wake_all();
CREATE TRIGGER agenda_wake_scenario_gone AFTER DELETE ON scenarios FOR EACH STATEMENT
    EXECUTE FUNCTION relance_wake_all();
CREATE TRIGGER agenda_wake_steps_new AFTER INSERT ON scenario_steps FOR EACH STATEMENT
    EXECUTE FUNCTION relance_wake_all();
CREATE TRIGGER agenda_wake_steps AFTER UPDATE ON scenario_steps FOR EACH STATEMENT
    EXECUTE FUNCTION relance_wake_all();
CREATE TRIGGER agenda_wake_steps_gone AFTER DELETE ON scenario_steps FOR EACH STATEMENT
    EXECUTE FUNCTION relance_wake_all();
