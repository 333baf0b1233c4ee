-- Issue 23. A payer profile reads, of the journal, only the reminders done (views::profile:
-- actions done, letters sent, e-mails prepared, calls) and their undoing; every other entry
-- (a skip, a snooze, a note, a payment's own entry: its payment marks already) marked its
-- customer all the same, so a day of bulk skips and snoozes made Today's sanction proposals
-- derive again every customer touched. The journal's marks now follow what a profile reads.
DROP TRIGGER segment_dirty_journal;
CREATE TRIGGER segment_dirty_journal AFTER INSERT ON journal
    WHEN NEW.kind IN ('action_done', 'document_sent', 'email_prepared', 'call', 'action_undone') BEGIN
    INSERT OR IGNORE INTO segment_dirty (customer_id) VALUES (NEW.customer_id);
END;
DROP TRIGGER segment_dirty_journal_invoice;
CREATE TRIGGER segment_dirty_journal_invoice AFTER INSERT ON journal_invoices BEGIN
    INSERT OR IGNORE INTO segment_dirty (customer_id)
        SELECT customer_id FROM journal WHERE id = NEW.journal_id
           AND kind IN ('action_done', 'document_sent', 'email_prepared', 'call', 'action_undone');
END;
DROP TRIGGER segment_dirty_journal_invoice_gone;
CREATE TRIGGER segment_dirty_journal_invoice_gone AFTER DELETE ON journal_invoices BEGIN
    INSERT OR IGNORE INTO segment_dirty (customer_id)
        SELECT customer_id FROM journal WHERE id = OLD.journal_id
           AND kind IN ('action_done', 'document_sent', 'email_prepared', 'call', 'action_undone');
END;
