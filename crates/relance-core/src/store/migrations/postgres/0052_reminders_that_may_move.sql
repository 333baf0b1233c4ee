-- Issue 23: the reminded customers whose reminders may move them between payer segments,
-- and the customers of invoices reminded under another customer's entry; the file's
-- migration 52 says why and when.
CREATE TABLE segment_reminder_moves (
    customer_id BIGINT PRIMARY KEY
);
SELECT relance_grant_admitted('segment_reminder_moves');
INSERT INTO segment_reminder_moves (customer_id) SELECT customer_id FROM segment_reminded;

CREATE FUNCTION relance_segment_reminder_moves() RETURNS trigger LANGUAGE plpgsql
    SECURITY DEFINER SET search_path FROM CURRENT AS $$
DECLARE refreshed text;
BEGIN
    IF TG_OP = 'DELETE' THEN
        INSERT INTO segment_reminder_moves (customer_id)
            SELECT customer_id FROM journal WHERE id = OLD.journal_id
               AND kind IN ('action_done', 'document_sent', 'email_prepared', 'call', 'action_undone')
            ON CONFLICT DO NOTHING;
        -- A reminder counts for its invoice's customer: one of another customer's invoice
        -- (moved since) marks that customer with every other fact.
        INSERT INTO segment_dirty (customer_id)
            SELECT i.customer_id FROM journal j JOIN invoices i ON i.id = OLD.invoice_id
             WHERE j.id = OLD.journal_id AND i.customer_id <> j.customer_id
               AND j.kind IN ('action_done', 'document_sent', 'email_prepared', 'call', 'action_undone')
            ON CONFLICT DO NOTHING;
    ELSIF TG_TABLE_NAME = 'journal_invoices' THEN
        -- The refresh's day, its row locked while this transaction lasts: a refresh run
        -- taking the row (and clearing the marks) waits for this reminder to commit, and so
        -- reads it; one that took it first is seen (no day).
        SELECT on_date INTO refreshed FROM segment_refresh WHERE id = 1 FOR SHARE;
        INSERT INTO segment_dirty (customer_id)
            SELECT i.customer_id FROM journal j JOIN invoices i ON i.id = NEW.invoice_id
             WHERE j.id = NEW.journal_id AND i.customer_id <> j.customer_id
               AND j.kind IN ('action_done', 'document_sent', 'email_prepared', 'call', 'action_undone')
            ON CONFLICT DO NOTHING;
        INSERT INTO segment_reminder_moves (customer_id)
            SELECT j.customer_id FROM journal j
             WHERE j.id = NEW.journal_id
               AND j.kind IN ('action_done', 'document_sent', 'email_prepared', 'call', 'action_undone')
               AND (j.kind = 'action_undone'
                    OR j.on_date IS DISTINCT FROM refreshed
                    OR NOT EXISTS (SELECT 1 FROM invoices i
                                    WHERE i.id = NEW.invoice_id
                                      AND i.customer_id = j.customer_id
                                      AND i.settled_minor < i.total_minor))
            ON CONFLICT DO NOTHING;
    ELSE
        INSERT INTO segment_reminder_moves (customer_id) VALUES (NEW.customer_id)
            ON CONFLICT DO NOTHING;
        INSERT INTO segment_dirty (customer_id)
            SELECT i.customer_id FROM journal_invoices ji JOIN invoices i ON i.id = ji.invoice_id
             WHERE ji.journal_id = NEW.corrects_id AND i.customer_id <> NEW.customer_id
            ON CONFLICT DO NOTHING;
    END IF;
    RETURN NULL;
END $$;
CREATE TRIGGER segment_reminder_moves_undone AFTER INSERT ON journal FOR EACH ROW
    WHEN (NEW.kind = 'action_undone')
    EXECUTE FUNCTION relance_segment_reminder_moves();
CREATE TRIGGER segment_reminder_moves_invoice AFTER INSERT ON journal_invoices FOR EACH ROW
    EXECUTE FUNCTION relance_segment_reminder_moves();
CREATE TRIGGER segment_reminder_moves_invoice_gone AFTER DELETE ON journal_invoices FOR EACH ROW
    EXECUTE FUNCTION relance_segment_reminder_moves();
