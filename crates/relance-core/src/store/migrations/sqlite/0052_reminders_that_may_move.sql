-- Issue 23. A day's bulk reminders (37,509 customers at a million invoices) made every
-- reading of the segments that reminders reach (forgetful, slow payer, every customer's)
-- compute each reminded customer again under a rule reading reminders (2 s). Most of those
-- marks cannot move a segment: a reminder dated the refresh's day on an open invoice of its
-- customer makes that invoice's first reminder the refresh's day (or leaves an earlier one),
-- which adds a reminder sent and an unanswered reminder of 0 days, and changes no delay
-- from a reminder to a payment (the invoice is unpaid). Under the rules reading reminders
-- (views::segments::segment_of) that keeps a customer in their segment, forgetful or slow
-- payer: only the rule's words may change ("never reminded" becomes "reminded today"), and
-- a reading computes those for the rows it shows. A reminded customer whose reminders may
-- move them is now also marked in segment_reminder_moves: by an undoing, a reminder's
-- invoice taken away, a reminder dated another day than the refresh's (or during a refresh
-- run, whose row has no day), or one naming an invoice that is settled or not the
-- customer's. Marks already made may move. The triggers of migrations 44 and 48 stay. And a
-- reminder counts for its invoice's customer (views::profile): one naming, or undoing an
-- entry that names, another customer's invoice (moved since) marks that customer with every
-- other fact (segment_dirty), which those triggers did not.
CREATE TABLE segment_reminder_moves (
    customer_id INTEGER PRIMARY KEY
) STRICT, WITHOUT ROWID;
INSERT INTO segment_reminder_moves (customer_id) SELECT customer_id FROM segment_reminded;
CREATE TRIGGER segment_reminder_moves_undone AFTER INSERT ON journal
    WHEN NEW.kind = 'action_undone' BEGIN
    INSERT INTO segment_reminder_moves (customer_id) VALUES (NEW.customer_id) ON CONFLICT DO NOTHING;
    INSERT INTO segment_dirty (customer_id)
        SELECT i.customer_id FROM journal_invoices ji JOIN invoices i ON i.id = ji.invoice_id
         WHERE ji.journal_id = NEW.corrects_id AND i.customer_id <> NEW.customer_id
        ON CONFLICT DO NOTHING;
END;
CREATE TRIGGER segment_reminder_moves_invoice AFTER INSERT ON journal_invoices BEGIN
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
                OR j.on_date IS NOT (SELECT r.on_date FROM segment_refresh r WHERE r.id = 1)
                OR NOT EXISTS (SELECT 1 FROM invoices i
                                WHERE i.id = NEW.invoice_id AND i.customer_id = j.customer_id
                                  AND i.settled_minor < i.total_minor))
        ON CONFLICT DO NOTHING;
END;
CREATE TRIGGER segment_reminder_moves_invoice_gone AFTER DELETE ON journal_invoices BEGIN
    INSERT INTO segment_reminder_moves (customer_id)
        SELECT customer_id FROM journal WHERE id = OLD.journal_id
           AND kind IN ('action_done', 'document_sent', 'email_prepared', 'call', 'action_undone')
        ON CONFLICT DO NOTHING;
    INSERT INTO segment_dirty (customer_id)
        SELECT i.customer_id FROM journal j JOIN invoices i ON i.id = OLD.invoice_id
         WHERE j.id = OLD.journal_id AND i.customer_id <> j.customer_id
           AND j.kind IN ('action_done', 'document_sent', 'email_prepared', 'call', 'action_undone')
        ON CONFLICT DO NOTHING;
END;
