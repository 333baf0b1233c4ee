-- Today's sanction proposals read the day's segment refresh (customer_segments) and compute
-- again only the customers whose facts changed since (views::segments). A customer is marked
-- here in the transaction of any fact their payer profile reads: their invoices, payments,
-- journal entries, promises, disputes, allocations, reversals, credit limit, the owner's
-- chosen segment. A change to a setting the segments read makes the whole refresh stale.
CREATE TABLE segment_dirty (
    customer_id INTEGER PRIMARY KEY
) STRICT, WITHOUT ROWID;
-- Which rule fired (as Segmented::rule_code) beside its text, kept by the daily refresh, and
-- the language the refresh wrote the rules in.
ALTER TABLE customer_segments ADD COLUMN rule_code TEXT NOT NULL DEFAULT '';
ALTER TABLE segment_refresh ADD COLUMN lang TEXT NOT NULL DEFAULT '';
-- The rows written before this migration carry no rule code: the next start refreshes.
DELETE FROM segment_refresh;

CREATE TRIGGER segment_dirty_invoice_new AFTER INSERT ON invoices BEGIN
    INSERT OR IGNORE INTO segment_dirty (customer_id) VALUES (NEW.customer_id);
END;
CREATE TRIGGER segment_dirty_invoice AFTER UPDATE ON invoices BEGIN
    INSERT OR IGNORE INTO segment_dirty (customer_id) VALUES (NEW.customer_id);
    INSERT OR IGNORE INTO segment_dirty (customer_id) VALUES (OLD.customer_id);
END;
CREATE TRIGGER segment_dirty_invoice_gone AFTER DELETE ON invoices BEGIN
    INSERT OR IGNORE INTO segment_dirty (customer_id) VALUES (OLD.customer_id);
END;
CREATE TRIGGER segment_dirty_payment_new AFTER INSERT ON payments BEGIN
    INSERT OR IGNORE INTO segment_dirty (customer_id) VALUES (NEW.customer_id);
END;
CREATE TRIGGER segment_dirty_payment AFTER UPDATE ON payments BEGIN
    INSERT OR IGNORE INTO segment_dirty (customer_id) VALUES (NEW.customer_id);
    INSERT OR IGNORE INTO segment_dirty (customer_id) VALUES (OLD.customer_id);
END;
CREATE TRIGGER segment_dirty_payment_gone AFTER DELETE ON payments BEGIN
    INSERT OR IGNORE INTO segment_dirty (customer_id) VALUES (OLD.customer_id);
END;
-- (the refresh's own note of a segment changed reads nothing a profile reads)
CREATE TRIGGER segment_dirty_journal AFTER INSERT ON journal
    WHEN NEW.kind <> 'note' OR NEW.action IS NOT 'segment' BEGIN
    INSERT OR IGNORE INTO segment_dirty (customer_id) VALUES (NEW.customer_id);
END;
CREATE TRIGGER segment_dirty_journal_invoice AFTER INSERT ON journal_invoices BEGIN
    INSERT OR IGNORE INTO segment_dirty (customer_id)
        SELECT customer_id FROM journal WHERE id = NEW.journal_id;
END;
CREATE TRIGGER segment_dirty_journal_invoice_gone AFTER DELETE ON journal_invoices BEGIN
    INSERT OR IGNORE INTO segment_dirty (customer_id)
        SELECT customer_id FROM journal WHERE id = OLD.journal_id;
END;
CREATE TRIGGER segment_dirty_promise_new AFTER INSERT ON promises BEGIN
    INSERT OR IGNORE INTO segment_dirty (customer_id) VALUES (NEW.customer_id);
END;
CREATE TRIGGER segment_dirty_promise AFTER UPDATE ON promises BEGIN
    INSERT OR IGNORE INTO segment_dirty (customer_id) VALUES (NEW.customer_id);
    INSERT OR IGNORE INTO segment_dirty (customer_id) VALUES (OLD.customer_id);
END;
CREATE TRIGGER segment_dirty_promise_gone AFTER DELETE ON promises BEGIN
    INSERT OR IGNORE INTO segment_dirty (customer_id) VALUES (OLD.customer_id);
END;
CREATE TRIGGER segment_dirty_promise_invoice AFTER INSERT ON promise_invoices BEGIN
    INSERT OR IGNORE INTO segment_dirty (customer_id)
        SELECT customer_id FROM promises WHERE id = NEW.promise_id;
END;
CREATE TRIGGER segment_dirty_promise_invoice_gone AFTER DELETE ON promise_invoices BEGIN
    INSERT OR IGNORE INTO segment_dirty (customer_id)
        SELECT customer_id FROM promises WHERE id = OLD.promise_id;
END;
CREATE TRIGGER segment_dirty_dispute_new AFTER INSERT ON disputes BEGIN
    INSERT OR IGNORE INTO segment_dirty (customer_id)
        SELECT customer_id FROM invoices WHERE id = NEW.invoice_id;
END;
CREATE TRIGGER segment_dirty_dispute AFTER UPDATE ON disputes BEGIN
    INSERT OR IGNORE INTO segment_dirty (customer_id)
        SELECT customer_id FROM invoices WHERE id IN (NEW.invoice_id, OLD.invoice_id);
END;
CREATE TRIGGER segment_dirty_dispute_gone AFTER DELETE ON disputes BEGIN
    INSERT OR IGNORE INTO segment_dirty (customer_id)
        SELECT customer_id FROM invoices WHERE id = OLD.invoice_id;
END;
CREATE TRIGGER segment_dirty_allocation_new AFTER INSERT ON allocations BEGIN
    INSERT OR IGNORE INTO segment_dirty (customer_id)
        SELECT customer_id FROM invoices WHERE id = NEW.invoice_id;
END;
CREATE TRIGGER segment_dirty_allocation_gone AFTER DELETE ON allocations BEGIN
    INSERT OR IGNORE INTO segment_dirty (customer_id)
        SELECT customer_id FROM invoices WHERE id = OLD.invoice_id;
END;
CREATE TRIGGER segment_dirty_reversal_new AFTER INSERT ON payment_reversals BEGIN
    INSERT OR IGNORE INTO segment_dirty (customer_id)
        SELECT customer_id FROM payments WHERE id = NEW.payment_id;
END;
CREATE TRIGGER segment_dirty_reversal_gone AFTER DELETE ON payment_reversals BEGIN
    INSERT OR IGNORE INTO segment_dirty (customer_id)
        SELECT customer_id FROM payments WHERE id = OLD.payment_id;
END;
CREATE TRIGGER segment_dirty_customer_new AFTER INSERT ON customers BEGIN
    INSERT OR IGNORE INTO segment_dirty (customer_id) VALUES (NEW.id);
END;
CREATE TRIGGER segment_dirty_customer AFTER UPDATE OF reference, name, credit_limit_minor, on_hold, archived_on
    ON customers BEGIN
    INSERT OR IGNORE INTO segment_dirty (customer_id) VALUES (NEW.id);
END;
CREATE TRIGGER segment_dirty_override_new AFTER INSERT ON segment_overrides BEGIN
    INSERT OR IGNORE INTO segment_dirty (customer_id) VALUES (NEW.customer_id);
END;
CREATE TRIGGER segment_dirty_override AFTER UPDATE ON segment_overrides BEGIN
    INSERT OR IGNORE INTO segment_dirty (customer_id) VALUES (NEW.customer_id);
    INSERT OR IGNORE INTO segment_dirty (customer_id) VALUES (OLD.customer_id);
END;
CREATE TRIGGER segment_dirty_override_gone AFTER DELETE ON segment_overrides BEGIN
    INSERT OR IGNORE INTO segment_dirty (customer_id) VALUES (OLD.customer_id);
END;
CREATE TRIGGER segment_stale_setting_new AFTER INSERT ON settings
    WHEN NEW.key IN ('default_currency', 'promise_grace_days', 'segment_min_paid',
                     'segment_good_days', 'segment_slow_days', 'segment_forgetful_days',
                     'segment_trend_days') BEGIN
    DELETE FROM segment_refresh;
END;
CREATE TRIGGER segment_stale_setting AFTER UPDATE ON settings
    WHEN NEW.value IS NOT OLD.value
     AND (NEW.key IN ('default_currency', 'promise_grace_days', 'segment_min_paid',
                      'segment_good_days', 'segment_slow_days', 'segment_forgetful_days',
                      'segment_trend_days')
          OR OLD.key IN ('default_currency', 'promise_grace_days', 'segment_min_paid',
                         'segment_good_days', 'segment_slow_days', 'segment_forgetful_days',
                         'segment_trend_days')) BEGIN
    DELETE FROM segment_refresh;
END;
CREATE TRIGGER segment_stale_setting_gone AFTER DELETE ON settings
    WHEN OLD.key IN ('default_currency', 'promise_grace_days', 'segment_min_paid',
                     'segment_good_days', 'segment_slow_days', 'segment_forgetful_days',
                     'segment_trend_days') BEGIN
    DELETE FROM segment_refresh;
END;
