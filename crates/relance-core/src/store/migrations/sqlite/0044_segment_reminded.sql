-- Issue 23. A reminder done (an action done, a letter sent, an e-mail prepared, a call, and
-- their undoing) changes only a profile's first reminders, and the rules that read them come
-- after every rule that puts a customer at risk (views::segments::segment_of: an open
-- dispute, over the credit limit, a broken promise, lateness growing; none reads a
-- reminder). Marked with every other fact (migration 40), a day's bulk work made Today's
-- sanction proposals compute again every customer it reminded (37,509 customers, 7 s at a
-- million invoices). The journal's marks now go to a table of their own: the proposals read
-- the stored segment of a customer marked there only, every customer's segment (Today
-- grouped by segment, the Customers filter) computes them again as before, and the refresh
-- clears both. Marks already made stay where they are (a customer marked is computed again).
CREATE TABLE segment_reminded (
    customer_id INTEGER PRIMARY KEY
) STRICT, WITHOUT ROWID;
DROP TRIGGER segment_dirty_journal;
CREATE TRIGGER segment_reminded_journal AFTER INSERT ON journal
    WHEN NEW.kind IN ('action_done', 'document_sent', 'email_prepared', 'call', 'action_undone') BEGIN
    INSERT OR IGNORE INTO segment_reminded (customer_id) VALUES (NEW.customer_id);
END;
DROP TRIGGER segment_dirty_journal_invoice;
CREATE TRIGGER segment_reminded_journal_invoice AFTER INSERT ON journal_invoices BEGIN
    INSERT OR IGNORE INTO segment_reminded (customer_id)
        SELECT customer_id FROM journal WHERE id = NEW.journal_id
           AND kind IN ('action_done', 'document_sent', 'email_prepared', 'call', 'action_undone');
END;
DROP TRIGGER segment_dirty_journal_invoice_gone;
CREATE TRIGGER segment_reminded_journal_invoice_gone AFTER DELETE ON journal_invoices BEGIN
    INSERT OR IGNORE INTO segment_reminded (customer_id)
        SELECT customer_id FROM journal WHERE id = OLD.journal_id
           AND kind IN ('action_done', 'document_sent', 'email_prepared', 'call', 'action_undone');
END;
