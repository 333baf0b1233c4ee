-- The journal's marks go to a table of their own: the file's migration 44 says why.
CREATE TABLE segment_reminded (
    customer_id BIGINT PRIMARY KEY
);
SELECT relance_grant_admitted('segment_reminded');

CREATE FUNCTION relance_segment_reminded() RETURNS trigger LANGUAGE plpgsql
    SECURITY DEFINER SET search_path FROM CURRENT AS $$
DECLARE r record;
BEGIN
    IF TG_OP = 'DELETE' THEN r := OLD; ELSE r := NEW; END IF;
    IF TG_TABLE_NAME = 'journal_invoices' THEN
        INSERT INTO segment_reminded (customer_id)
            SELECT customer_id FROM journal WHERE id = r.journal_id
               AND kind IN ('action_done', 'document_sent', 'email_prepared', 'call', 'action_undone')
            ON CONFLICT DO NOTHING;
    ELSE
        INSERT INTO segment_reminded (customer_id) VALUES (r.customer_id) ON CONFLICT DO NOTHING;
    END IF;
    RETURN NULL;
END $$;
DROP TRIGGER segment_dirty_journal ON journal;
DROP TRIGGER segment_dirty_journal_invoice ON journal_invoices;
DROP TRIGGER segment_dirty_journal_invoice_gone ON journal_invoices;
CREATE TRIGGER segment_reminded_journal AFTER INSERT ON journal FOR EACH ROW
    WHEN (NEW.kind IN ('action_done', 'document_sent', 'email_prepared', 'call', 'action_undone'))
    EXECUTE FUNCTION relance_segment_reminded();
CREATE TRIGGER segment_reminded_journal_invoice AFTER INSERT ON journal_invoices FOR EACH ROW
    EXECUTE FUNCTION relance_segment_reminded();
CREATE TRIGGER segment_reminded_journal_invoice_gone AFTER DELETE ON journal_invoices FOR EACH ROW
    EXECUTE FUNCTION relance_segment_reminded();
