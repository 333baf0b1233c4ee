-- Today's sanction proposals read the day's segment refresh (customer_segments) and compute
-- again only the customers whose facts changed since (views::segments). A customer is marked
-- here in the transaction of any fact their payer profile reads: their invoices, payments,
-- journal entries, promises, disputes, allocations, reversals, credit limit, the owner's
-- chosen segment. A change to a setting the segments read makes the whole refresh stale.
CREATE TABLE segment_dirty (
    customer_id INTEGER PRIMARY KEY
) STRICT, WITHOUT ROWID;
-- Which rule fired (as Segmented::rule_code) beside its text, kept by the daily refresh; the
-- language the refresh wrote the rules in, and the run under way (a refresh writes only if
-- no other run began since its own, and no setting changed: daily::write_segments).
ALTER TABLE customer_segments ADD COLUMN rule_code TEXT NOT NULL DEFAULT '';
ALTER TABLE segment_refresh ADD COLUMN lang TEXT NOT NULL DEFAULT '';
ALTER TABLE segment_refresh ADD COLUMN run TEXT NOT NULL DEFAULT '';
-- The rows written before this migration carry no rule code: the next start refreshes.
DELETE FROM segment_refresh;

CREATE TRIGGER segment_dirty_invoice_new AFTER INSERT ON invoices BEGIN
    INSERT OR IGNORE INTO segment_dirty (customer_id) VALUES (NEW.customer_id);
END;
-- (a promise is its maker's, whoever the invoice it names belongs to now)
CREATE TRIGGER segment_dirty_invoice AFTER UPDATE ON invoices BEGIN
    INSERT OR IGNORE INTO segment_dirty (customer_id) VALUES (NEW.customer_id);
    INSERT OR IGNORE INTO segment_dirty (customer_id) VALUES (OLD.customer_id);
    INSERT OR IGNORE INTO segment_dirty (customer_id)
        SELECT p.customer_id FROM promise_invoices pi JOIN promises p ON p.id = pi.promise_id
         WHERE pi.invoice_id = NEW.id;
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
    INSERT OR IGNORE INTO segment_dirty (customer_id)
        SELECT p.customer_id FROM promise_invoices pi JOIN promises p ON p.id = pi.promise_id
         WHERE pi.invoice_id = NEW.invoice_id;
END;
CREATE TRIGGER segment_dirty_allocation_gone AFTER DELETE ON allocations BEGIN
    INSERT OR IGNORE INTO segment_dirty (customer_id)
        SELECT customer_id FROM invoices WHERE id = OLD.invoice_id;
    INSERT OR IGNORE INTO segment_dirty (customer_id)
        SELECT p.customer_id FROM promise_invoices pi JOIN promises p ON p.id = pi.promise_id
         WHERE pi.invoice_id = OLD.invoice_id;
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

-- The settlements read by date (the dashboard's DSO) went through every allocation for the
-- reversals' arms (their date is the later of two): those arms now start from the reversals
-- (few), each allocation or difference found by its payment. The same rows.
DROP VIEW settlements;
CREATE VIEW settlements (invoice_id, date, amount_minor) AS
    SELECT invoice_id, date, amount_minor FROM allocations
    UNION ALL SELECT invoice_id, date, amount_minor FROM credit_notes
    UNION ALL SELECT invoice_id, date, amount_minor FROM settlement_differences
    -- An allocation of the payment dated after its reversal (credit applied later) is
    -- undone from its own date: a balance never goes above what was due.
    UNION ALL SELECT a.invoice_id, max(r.date, a.date), -a.amount_minor
        FROM payment_reversals r CROSS JOIN allocations a ON a.payment_id = r.payment_id
    UNION ALL SELECT d.invoice_id, max(r.date, d.date), -d.amount_minor
        FROM payment_reversals r CROSS JOIN settlement_differences d ON d.payment_id = r.payment_id;
-- And the allocations by date carry their invoice: the view's rows by date from the index.
DROP INDEX allocations_by_date;
CREATE INDEX allocations_by_date ON allocations(date, amount_minor, invoice_id);
