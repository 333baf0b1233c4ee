-- The journal's marks follow what a payer profile reads (the file's migration 40 says why).
CREATE OR REPLACE FUNCTION relance_segment_dirty() RETURNS trigger LANGUAGE plpgsql
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
            SELECT customer_id FROM journal WHERE id = r.journal_id
               AND kind IN ('action_done', 'document_sent', 'email_prepared', 'call', 'action_undone')
            ON CONFLICT DO NOTHING;
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
DROP TRIGGER segment_dirty_journal ON journal;
CREATE TRIGGER segment_dirty_journal AFTER INSERT ON journal FOR EACH ROW
    WHEN (NEW.kind IN ('action_done', 'document_sent', 'email_prepared', 'call', 'action_undone'))
    EXECUTE FUNCTION relance_segment_dirty();
