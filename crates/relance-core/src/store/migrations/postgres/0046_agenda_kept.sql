-- Today's sections kept for the day (dunning::kept): the file's migration 46 says what each
-- table and trigger means.
CREATE TABLE agenda_kept (
    customer_id  BIGINT NOT NULL,
    action_id    TEXT COLLATE "C" NOT NULL,
    section      TEXT NOT NULL,
    days_overdue BIGINT NOT NULL,
    currency     TEXT NOT NULL,
    amount_minor BIGINT NOT NULL,
    PRIMARY KEY (customer_id, action_id)
);
CREATE INDEX agenda_kept_order ON agenda_kept(section, days_overdue DESC, action_id);
CREATE INDEX agenda_kept_sums ON agenda_kept(section, currency, amount_minor);
CREATE INDEX agenda_kept_customer ON agenda_kept(customer_id);
CREATE TABLE agenda_kept_day (
    id       BIGINT PRIMARY KEY CHECK (id = 1),
    day      TEXT NOT NULL,
    currency TEXT NOT NULL,
    grace    BIGINT NOT NULL,
    arrived  TEXT NOT NULL
);
CREATE TABLE agenda_stale (
    customer_id BIGINT PRIMARY KEY
);
SELECT relance_grant_admitted('agenda_kept');
SELECT relance_grant_admitted('agenda_kept_day');
SELECT relance_grant_admitted('agenda_stale');

-- The customers an invoice's change touches: its own, the makers of the promises naming it,
-- and the customers of every invoice those promises name (a promise pauses them all, and its
-- broken promise's action gathers them).
CREATE FUNCTION relance_stale_of_invoice(inv BIGINT) RETURNS void LANGUAGE sql
    SECURITY DEFINER SET search_path FROM CURRENT AS $$
    INSERT INTO agenda_stale (customer_id)
        SELECT customer_id FROM invoices WHERE id = inv
        UNION SELECT p.customer_id FROM promise_invoices pi JOIN promises p ON p.id = pi.promise_id
         WHERE pi.invoice_id = inv
        UNION SELECT o.customer_id FROM promise_invoices pi
         JOIN promise_invoices pj ON pj.promise_id = pi.promise_id
         JOIN invoices o ON o.id = pj.invoice_id
         WHERE pi.invoice_id = inv
        ON CONFLICT DO NOTHING;
$$;
-- A promise's: its maker and every invoice it names (as above).
CREATE FUNCTION relance_stale_of_promise(pid BIGINT) RETURNS void LANGUAGE sql
    SECURITY DEFINER SET search_path FROM CURRENT AS $$
    INSERT INTO agenda_stale (customer_id)
        SELECT customer_id FROM promises WHERE id = pid
        UNION SELECT i.customer_id FROM promise_invoices pi JOIN invoices i ON i.id = pi.invoice_id
         WHERE pi.promise_id = pid
        ON CONFLICT DO NOTHING;
$$;
CREATE FUNCTION relance_stale_customer(c BIGINT) RETURNS void LANGUAGE sql
    SECURITY DEFINER SET search_path FROM CURRENT AS $$
    INSERT INTO agenda_stale (customer_id) SELECT c WHERE c IS NOT NULL ON CONFLICT DO NOTHING;
$$;
REVOKE EXECUTE ON FUNCTION relance_stale_of_invoice(BIGINT) FROM PUBLIC;
REVOKE EXECUTE ON FUNCTION relance_stale_customer(BIGINT) FROM PUBLIC;
REVOKE EXECUTE ON FUNCTION relance_stale_of_promise(BIGINT) FROM PUBLIC;

CREATE FUNCTION relance_agenda_stale() RETURNS trigger LANGUAGE plpgsql
    SECURITY DEFINER SET search_path FROM CURRENT AS $$
BEGIN
    IF TG_TABLE_NAME = 'invoices' THEN
        IF TG_OP <> 'INSERT' THEN PERFORM relance_stale_customer(OLD.customer_id); END IF;
        IF TG_OP <> 'DELETE' THEN
            PERFORM relance_stale_customer(NEW.customer_id);
            PERFORM relance_stale_of_invoice(NEW.id);
        END IF;
    ELSIF TG_TABLE_NAME = 'customers' THEN
        IF TG_OP = 'DELETE' THEN
            PERFORM relance_stale_customer(OLD.id);
        ELSE
            PERFORM relance_stale_customer(NEW.id);
        END IF;
    ELSIF TG_TABLE_NAME = 'customer_segments' THEN
        IF TG_OP <> 'INSERT' THEN PERFORM relance_stale_customer(OLD.customer_id); END IF;
        IF TG_OP <> 'DELETE' THEN PERFORM relance_stale_customer(NEW.customer_id); END IF;
    ELSIF TG_TABLE_NAME = 'journal' THEN
        IF TG_OP = 'DELETE' THEN
            PERFORM relance_stale_customer(OLD.customer_id);
        ELSE
            PERFORM relance_stale_customer(NEW.customer_id);
            -- (plpgsql does not stop at a false AND: the fields are read only here)
            PERFORM relance_stale_of_promise(NEW.promise_id);
            -- An undo: the undone entry's customer and invoices.
            PERFORM relance_stale_customer((SELECT customer_id FROM journal WHERE id = NEW.corrects_id));
            PERFORM relance_stale_of_invoice(invoice_id)
               FROM journal_invoices WHERE journal_id = NEW.corrects_id;
        END IF;
    ELSIF TG_TABLE_NAME = 'promises' THEN
        IF TG_OP <> 'INSERT' THEN PERFORM relance_stale_customer(OLD.customer_id); END IF;
        IF TG_OP <> 'DELETE' THEN PERFORM relance_stale_of_promise(NEW.id); END IF;
    ELSIF TG_TABLE_NAME = 'promise_invoices' THEN
        IF TG_OP <> 'INSERT' THEN
            PERFORM relance_stale_of_promise(OLD.promise_id);
            PERFORM relance_stale_of_invoice(OLD.invoice_id);
        END IF;
        IF TG_OP <> 'DELETE' THEN
            PERFORM relance_stale_of_promise(NEW.promise_id);
            PERFORM relance_stale_of_invoice(NEW.invoice_id);
        END IF;
    ELSE
        -- journal_invoices, disputes, invoice_closures: by their invoice.
        IF TG_OP <> 'INSERT' THEN PERFORM relance_stale_of_invoice(OLD.invoice_id); END IF;
        IF TG_OP <> 'DELETE' THEN PERFORM relance_stale_of_invoice(NEW.invoice_id); END IF;
    END IF;
    RETURN NULL;
END $$;
CREATE FUNCTION relance_agenda_kept_gone() RETURNS trigger LANGUAGE plpgsql
    SECURITY DEFINER SET search_path FROM CURRENT AS $$
BEGIN
    DELETE FROM agenda_kept_day;
    RETURN NULL;
END $$;

CREATE TRIGGER agenda_stale_invoice_new AFTER INSERT ON invoices FOR EACH ROW
    EXECUTE FUNCTION relance_agenda_stale();
CREATE TRIGGER agenda_stale_invoice AFTER UPDATE OF number, customer_id, due_date, currency,
        total_minor, settled_minor ON invoices FOR EACH ROW
    EXECUTE FUNCTION relance_agenda_stale();
CREATE TRIGGER agenda_stale_invoice_gone AFTER DELETE ON invoices FOR EACH ROW
    EXECUTE FUNCTION relance_agenda_stale();
CREATE TRIGGER agenda_stale_customer AFTER UPDATE OF reference, scenario_id, key_account
        ON customers FOR EACH ROW
    EXECUTE FUNCTION relance_agenda_stale();
CREATE TRIGGER agenda_stale_customer_gone AFTER DELETE ON customers FOR EACH ROW
    EXECUTE FUNCTION relance_agenda_stale();
CREATE TRIGGER agenda_stale_segment_new AFTER INSERT ON customer_segments FOR EACH ROW
    EXECUTE FUNCTION relance_agenda_stale();
CREATE TRIGGER agenda_stale_segment AFTER UPDATE OF segment, customer_id ON customer_segments
    FOR EACH ROW EXECUTE FUNCTION relance_agenda_stale();
CREATE TRIGGER agenda_stale_segment_gone AFTER DELETE ON customer_segments FOR EACH ROW
    EXECUTE FUNCTION relance_agenda_stale();
CREATE TRIGGER agenda_stale_journal AFTER INSERT ON journal FOR EACH ROW
    EXECUTE FUNCTION relance_agenda_stale();
CREATE TRIGGER agenda_stale_journal_gone AFTER DELETE ON journal FOR EACH ROW
    EXECUTE FUNCTION relance_agenda_stale();
CREATE TRIGGER agenda_stale_journal_invoice AFTER INSERT ON journal_invoices FOR EACH ROW
    EXECUTE FUNCTION relance_agenda_stale();
CREATE TRIGGER agenda_stale_journal_invoice_gone AFTER DELETE ON journal_invoices FOR EACH ROW
    EXECUTE FUNCTION relance_agenda_stale();
CREATE TRIGGER agenda_stale_promise_new AFTER INSERT ON promises FOR EACH ROW
    EXECUTE FUNCTION relance_agenda_stale();
CREATE TRIGGER agenda_stale_promise AFTER UPDATE ON promises FOR EACH ROW
    EXECUTE FUNCTION relance_agenda_stale();
CREATE TRIGGER agenda_stale_promise_gone AFTER DELETE ON promises FOR EACH ROW
    EXECUTE FUNCTION relance_agenda_stale();
CREATE TRIGGER agenda_stale_promise_invoice_new AFTER INSERT ON promise_invoices FOR EACH ROW
    EXECUTE FUNCTION relance_agenda_stale();
CREATE TRIGGER agenda_stale_promise_invoice AFTER UPDATE ON promise_invoices FOR EACH ROW
    EXECUTE FUNCTION relance_agenda_stale();
CREATE TRIGGER agenda_stale_promise_invoice_gone AFTER DELETE ON promise_invoices FOR EACH ROW
    EXECUTE FUNCTION relance_agenda_stale();
CREATE TRIGGER agenda_stale_dispute_new AFTER INSERT ON disputes FOR EACH ROW
    EXECUTE FUNCTION relance_agenda_stale();
CREATE TRIGGER agenda_stale_dispute AFTER UPDATE ON disputes FOR EACH ROW
    EXECUTE FUNCTION relance_agenda_stale();
CREATE TRIGGER agenda_stale_dispute_gone AFTER DELETE ON disputes FOR EACH ROW
    EXECUTE FUNCTION relance_agenda_stale();
CREATE TRIGGER agenda_stale_closure_new AFTER INSERT ON invoice_closures FOR EACH ROW
    EXECUTE FUNCTION relance_agenda_stale();
CREATE TRIGGER agenda_stale_closure AFTER UPDATE ON invoice_closures FOR EACH ROW
    EXECUTE FUNCTION relance_agenda_stale();
CREATE TRIGGER agenda_stale_closure_gone AFTER DELETE ON invoice_closures FOR EACH ROW
    EXECUTE FUNCTION relance_agenda_stale();
CREATE TRIGGER agenda_kept_scenario_new AFTER INSERT ON scenarios
    FOR EACH STATEMENT EXECUTE FUNCTION relance_agenda_kept_gone();
CREATE TRIGGER agenda_kept_scenario AFTER UPDATE ON scenarios
    FOR EACH STATEMENT EXECUTE FUNCTION relance_agenda_kept_gone();
CREATE TRIGGER agenda_kept_scenario_gone AFTER DELETE ON scenarios
    FOR EACH STATEMENT EXECUTE FUNCTION relance_agenda_kept_gone();
CREATE TRIGGER agenda_kept_steps_new AFTER INSERT ON scenario_steps
    FOR EACH STATEMENT EXECUTE FUNCTION relance_agenda_kept_gone();
CREATE TRIGGER agenda_kept_steps AFTER UPDATE ON scenario_steps
    FOR EACH STATEMENT EXECUTE FUNCTION relance_agenda_kept_gone();
CREATE TRIGGER agenda_kept_steps_gone AFTER DELETE ON scenario_steps
    FOR EACH STATEMENT EXECUTE FUNCTION relance_agenda_kept_gone();
