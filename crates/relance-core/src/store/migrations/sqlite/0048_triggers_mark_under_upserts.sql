-- The triggers that mark a customer (segment_dirty, habits_dirty, segment_reminded) said
-- `INSERT OR IGNORE`. In SQLite the conflict clause of the statement that fires a trigger
-- overrides the one of every statement inside it, and an upsert's (`INSERT ... ON CONFLICT
-- DO UPDATE`) is ABORT: the owner choosing a customer's payer segment twice before the next
-- refresh (an upsert on segment_overrides, whose trigger marks the customer already marked)
-- failed with "UNIQUE constraint failed: segment_dirty.customer_id" (the model-based test
-- found it). An upsert clause inside the trigger (`ON CONFLICT DO NOTHING`) is its own and
-- is kept: each trigger is made again with it, its marks otherwise the same (every SELECT
-- below ends in a WHERE clause, so the upsert clause reads unambiguously). The migrations
-- test checks that no trigger uses a conflict clause any more.
DROP TRIGGER segment_dirty_invoice_new;
CREATE TRIGGER segment_dirty_invoice_new AFTER INSERT ON invoices BEGIN
    INSERT INTO segment_dirty (customer_id) VALUES (NEW.customer_id) ON CONFLICT DO NOTHING;
END;
DROP TRIGGER segment_dirty_invoice;
CREATE TRIGGER segment_dirty_invoice AFTER UPDATE ON invoices BEGIN
    INSERT INTO segment_dirty (customer_id) VALUES (NEW.customer_id) ON CONFLICT DO NOTHING;
    INSERT INTO segment_dirty (customer_id) VALUES (OLD.customer_id) ON CONFLICT DO NOTHING;
    INSERT INTO segment_dirty (customer_id)
        SELECT p.customer_id FROM promise_invoices pi JOIN promises p ON p.id = pi.promise_id
         WHERE pi.invoice_id = NEW.id ON CONFLICT DO NOTHING;
END;
DROP TRIGGER segment_dirty_invoice_gone;
CREATE TRIGGER segment_dirty_invoice_gone AFTER DELETE ON invoices BEGIN
    INSERT INTO segment_dirty (customer_id) VALUES (OLD.customer_id) ON CONFLICT DO NOTHING;
END;
DROP TRIGGER segment_dirty_payment_new;
CREATE TRIGGER segment_dirty_payment_new AFTER INSERT ON payments BEGIN
    INSERT INTO segment_dirty (customer_id) VALUES (NEW.customer_id) ON CONFLICT DO NOTHING;
END;
DROP TRIGGER segment_dirty_payment;
CREATE TRIGGER segment_dirty_payment AFTER UPDATE ON payments BEGIN
    INSERT INTO segment_dirty (customer_id) VALUES (NEW.customer_id) ON CONFLICT DO NOTHING;
    INSERT INTO segment_dirty (customer_id) VALUES (OLD.customer_id) ON CONFLICT DO NOTHING;
END;
DROP TRIGGER segment_dirty_payment_gone;
CREATE TRIGGER segment_dirty_payment_gone AFTER DELETE ON payments BEGIN
    INSERT INTO segment_dirty (customer_id) VALUES (OLD.customer_id) ON CONFLICT DO NOTHING;
END;
DROP TRIGGER segment_dirty_promise_new;
CREATE TRIGGER segment_dirty_promise_new AFTER INSERT ON promises BEGIN
    INSERT INTO segment_dirty (customer_id) VALUES (NEW.customer_id) ON CONFLICT DO NOTHING;
END;
DROP TRIGGER segment_dirty_promise;
CREATE TRIGGER segment_dirty_promise AFTER UPDATE ON promises BEGIN
    INSERT INTO segment_dirty (customer_id) VALUES (NEW.customer_id) ON CONFLICT DO NOTHING;
    INSERT INTO segment_dirty (customer_id) VALUES (OLD.customer_id) ON CONFLICT DO NOTHING;
END;
DROP TRIGGER segment_dirty_promise_gone;
CREATE TRIGGER segment_dirty_promise_gone AFTER DELETE ON promises BEGIN
    INSERT INTO segment_dirty (customer_id) VALUES (OLD.customer_id) ON CONFLICT DO NOTHING;
END;
DROP TRIGGER segment_dirty_promise_invoice;
CREATE TRIGGER segment_dirty_promise_invoice AFTER INSERT ON promise_invoices BEGIN
    INSERT INTO segment_dirty (customer_id)
        SELECT customer_id FROM promises WHERE id = NEW.promise_id ON CONFLICT DO NOTHING;
END;
DROP TRIGGER segment_dirty_promise_invoice_gone;
CREATE TRIGGER segment_dirty_promise_invoice_gone AFTER DELETE ON promise_invoices BEGIN
    INSERT INTO segment_dirty (customer_id)
        SELECT customer_id FROM promises WHERE id = OLD.promise_id ON CONFLICT DO NOTHING;
END;
DROP TRIGGER segment_dirty_dispute_new;
CREATE TRIGGER segment_dirty_dispute_new AFTER INSERT ON disputes BEGIN
    INSERT INTO segment_dirty (customer_id)
        SELECT customer_id FROM invoices WHERE id = NEW.invoice_id ON CONFLICT DO NOTHING;
END;
DROP TRIGGER segment_dirty_dispute;
CREATE TRIGGER segment_dirty_dispute AFTER UPDATE ON disputes BEGIN
    INSERT INTO segment_dirty (customer_id)
        SELECT customer_id FROM invoices WHERE id IN (NEW.invoice_id, OLD.invoice_id) ON CONFLICT DO NOTHING;
END;
DROP TRIGGER segment_dirty_dispute_gone;
CREATE TRIGGER segment_dirty_dispute_gone AFTER DELETE ON disputes BEGIN
    INSERT INTO segment_dirty (customer_id)
        SELECT customer_id FROM invoices WHERE id = OLD.invoice_id ON CONFLICT DO NOTHING;
END;
DROP TRIGGER segment_dirty_allocation_new;
CREATE TRIGGER segment_dirty_allocation_new AFTER INSERT ON allocations BEGIN
    INSERT INTO segment_dirty (customer_id)
        SELECT customer_id FROM invoices WHERE id = NEW.invoice_id ON CONFLICT DO NOTHING;
    INSERT INTO segment_dirty (customer_id)
        SELECT p.customer_id FROM promise_invoices pi JOIN promises p ON p.id = pi.promise_id
         WHERE pi.invoice_id = NEW.invoice_id ON CONFLICT DO NOTHING;
END;
DROP TRIGGER segment_dirty_allocation_gone;
CREATE TRIGGER segment_dirty_allocation_gone AFTER DELETE ON allocations BEGIN
    INSERT INTO segment_dirty (customer_id)
        SELECT customer_id FROM invoices WHERE id = OLD.invoice_id ON CONFLICT DO NOTHING;
    INSERT INTO segment_dirty (customer_id)
        SELECT p.customer_id FROM promise_invoices pi JOIN promises p ON p.id = pi.promise_id
         WHERE pi.invoice_id = OLD.invoice_id ON CONFLICT DO NOTHING;
END;
DROP TRIGGER segment_dirty_reversal_new;
CREATE TRIGGER segment_dirty_reversal_new AFTER INSERT ON payment_reversals BEGIN
    INSERT INTO segment_dirty (customer_id)
        SELECT customer_id FROM payments WHERE id = NEW.payment_id ON CONFLICT DO NOTHING;
END;
DROP TRIGGER segment_dirty_reversal_gone;
CREATE TRIGGER segment_dirty_reversal_gone AFTER DELETE ON payment_reversals BEGIN
    INSERT INTO segment_dirty (customer_id)
        SELECT customer_id FROM payments WHERE id = OLD.payment_id ON CONFLICT DO NOTHING;
END;
DROP TRIGGER segment_dirty_customer_new;
CREATE TRIGGER segment_dirty_customer_new AFTER INSERT ON customers BEGIN
    INSERT INTO segment_dirty (customer_id) VALUES (NEW.id) ON CONFLICT DO NOTHING;
END;
DROP TRIGGER segment_dirty_customer;
CREATE TRIGGER segment_dirty_customer AFTER UPDATE OF reference, name, credit_limit_minor, on_hold, archived_on
    ON customers BEGIN
    INSERT INTO segment_dirty (customer_id) VALUES (NEW.id) ON CONFLICT DO NOTHING;
END;
DROP TRIGGER segment_dirty_override_new;
CREATE TRIGGER segment_dirty_override_new AFTER INSERT ON segment_overrides BEGIN
    INSERT INTO segment_dirty (customer_id) VALUES (NEW.customer_id) ON CONFLICT DO NOTHING;
END;
DROP TRIGGER segment_dirty_override;
CREATE TRIGGER segment_dirty_override AFTER UPDATE ON segment_overrides BEGIN
    INSERT INTO segment_dirty (customer_id) VALUES (NEW.customer_id) ON CONFLICT DO NOTHING;
    INSERT INTO segment_dirty (customer_id) VALUES (OLD.customer_id) ON CONFLICT DO NOTHING;
END;
DROP TRIGGER segment_dirty_override_gone;
CREATE TRIGGER segment_dirty_override_gone AFTER DELETE ON segment_overrides BEGIN
    INSERT INTO segment_dirty (customer_id) VALUES (OLD.customer_id) ON CONFLICT DO NOTHING;
END;
DROP TRIGGER habits_dirty_invoice_new;
CREATE TRIGGER habits_dirty_invoice_new AFTER INSERT ON invoices BEGIN
    INSERT INTO habits_dirty (customer_id) VALUES (NEW.customer_id) ON CONFLICT DO NOTHING;
END;
DROP TRIGGER habits_dirty_invoice;
CREATE TRIGGER habits_dirty_invoice AFTER UPDATE OF customer_id, currency, due_date, paid_on, settled_minor,
    total_minor
    ON invoices BEGIN
    INSERT INTO habits_dirty (customer_id) VALUES (NEW.customer_id) ON CONFLICT DO NOTHING;
    INSERT INTO habits_dirty (customer_id) VALUES (OLD.customer_id) ON CONFLICT DO NOTHING;
END;
DROP TRIGGER habits_dirty_invoice_gone;
CREATE TRIGGER habits_dirty_invoice_gone AFTER DELETE ON invoices BEGIN
    INSERT INTO habits_dirty (customer_id) VALUES (OLD.customer_id) ON CONFLICT DO NOTHING;
END;
DROP TRIGGER habits_dirty_payment_new;
CREATE TRIGGER habits_dirty_payment_new AFTER INSERT ON payments BEGIN
    INSERT INTO habits_dirty (customer_id) VALUES (NEW.customer_id) ON CONFLICT DO NOTHING;
END;
DROP TRIGGER habits_dirty_payment;
CREATE TRIGGER habits_dirty_payment AFTER UPDATE OF customer_id, currency, date ON payments BEGIN
    INSERT INTO habits_dirty (customer_id) VALUES (NEW.customer_id) ON CONFLICT DO NOTHING;
    INSERT INTO habits_dirty (customer_id) VALUES (OLD.customer_id) ON CONFLICT DO NOTHING;
END;
DROP TRIGGER habits_dirty_payment_gone;
CREATE TRIGGER habits_dirty_payment_gone AFTER DELETE ON payments BEGIN
    INSERT INTO habits_dirty (customer_id) VALUES (OLD.customer_id) ON CONFLICT DO NOTHING;
END;
DROP TRIGGER segment_reminded_journal;
CREATE TRIGGER segment_reminded_journal AFTER INSERT ON journal
    WHEN NEW.kind IN ('action_done', 'document_sent', 'email_prepared', 'call', 'action_undone') BEGIN
    INSERT INTO segment_reminded (customer_id) VALUES (NEW.customer_id) ON CONFLICT DO NOTHING;
END;
DROP TRIGGER segment_reminded_journal_invoice;
CREATE TRIGGER segment_reminded_journal_invoice AFTER INSERT ON journal_invoices BEGIN
    INSERT INTO segment_reminded (customer_id)
        SELECT customer_id FROM journal WHERE id = NEW.journal_id
           AND kind IN ('action_done', 'document_sent', 'email_prepared', 'call', 'action_undone') ON CONFLICT DO NOTHING;
END;
DROP TRIGGER segment_reminded_journal_invoice_gone;
CREATE TRIGGER segment_reminded_journal_invoice_gone AFTER DELETE ON journal_invoices BEGIN
    INSERT INTO segment_reminded (customer_id)
        SELECT customer_id FROM journal WHERE id = OLD.journal_id
           AND kind IN ('action_done', 'document_sent', 'email_prepared', 'call', 'action_undone') ON CONFLICT DO NOTHING;
END;
