-- Issue 23: the reminded customers whose reminders may move them between payer segments;
-- the file's migration 52 says why and when.
CREATE TABLE segment_reminder_moves (
    customer_id BIGINT PRIMARY KEY
);
SELECT relance_grant_admitted('segment_reminder_moves');
INSERT INTO segment_reminder_moves (customer_id) SELECT customer_id FROM segment_reminded;

CREATE FUNCTION relance_segment_reminder_moves() RETURNS trigger LANGUAGE plpgsql
    SECURITY DEFINER SET search_path FROM CURRENT AS $$
BEGIN
    IF TG_OP = 'DELETE' THEN
        INSERT INTO segment_reminder_moves (customer_id)
            SELECT customer_id FROM journal WHERE id = OLD.journal_id
               AND kind IN ('action_done', 'document_sent', 'email_prepared', 'call', 'action_undone')
            ON CONFLICT DO NOTHING;
    ELSIF TG_TABLE_NAME = 'journal_invoices' THEN
        INSERT INTO segment_reminder_moves (customer_id)
            SELECT j.customer_id FROM journal j
             WHERE j.id = NEW.journal_id
               AND j.kind IN ('action_done', 'document_sent', 'email_prepared', 'call', 'action_undone')
               AND (j.kind = 'action_undone'
                    OR j.on_date IS DISTINCT FROM
                       (SELECT r.on_date FROM segment_refresh r WHERE r.id = 1)
                    OR NOT EXISTS (SELECT 1 FROM invoices i
                                    WHERE i.id = NEW.invoice_id
                                      AND i.customer_id = j.customer_id
                                      AND i.settled_minor < i.total_minor))
            ON CONFLICT DO NOTHING;
    ELSE
        INSERT INTO segment_reminder_moves (customer_id) VALUES (NEW.customer_id)
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
