-- The dashboard's cash-in forecast reads each customer's habits (views::profile::habits: the
-- median days late of the invoices paid over the last 12 months, the usual pay day over
-- them) from the day's segment refresh, and computes again only the customers whose
-- invoices or payments changed since, marked here in the same transaction (a reminder or a
-- promise changes a segment, not a habit: segment_dirty is wider).
ALTER TABLE customer_segments ADD COLUMN late_days INTEGER NOT NULL DEFAULT 0;
-- '' none, 'month_end', 'day:N' (1–31), 'weekday:N' (0 = Monday): views::profile::PayDay.
ALTER TABLE customer_segments ADD COLUMN pay_day TEXT NOT NULL DEFAULT '';
CREATE TABLE habits_dirty (
    customer_id INTEGER PRIMARY KEY
) STRICT, WITHOUT ROWID;
-- The rows written before this migration carry no habits: the next start refreshes.
DELETE FROM segment_refresh;

CREATE TRIGGER habits_dirty_invoice_new AFTER INSERT ON invoices BEGIN
    INSERT OR IGNORE INTO habits_dirty (customer_id) VALUES (NEW.customer_id);
END;
CREATE TRIGGER habits_dirty_invoice AFTER UPDATE OF customer_id, currency, due_date, paid_on, settled_minor,
    total_minor
    ON invoices BEGIN
    INSERT OR IGNORE INTO habits_dirty (customer_id) VALUES (NEW.customer_id);
    INSERT OR IGNORE INTO habits_dirty (customer_id) VALUES (OLD.customer_id);
END;
CREATE TRIGGER habits_dirty_invoice_gone AFTER DELETE ON invoices BEGIN
    INSERT OR IGNORE INTO habits_dirty (customer_id) VALUES (OLD.customer_id);
END;
CREATE TRIGGER habits_dirty_payment_new AFTER INSERT ON payments BEGIN
    INSERT OR IGNORE INTO habits_dirty (customer_id) VALUES (NEW.customer_id);
END;
CREATE TRIGGER habits_dirty_payment AFTER UPDATE OF customer_id, currency, date ON payments BEGIN
    INSERT OR IGNORE INTO habits_dirty (customer_id) VALUES (NEW.customer_id);
    INSERT OR IGNORE INTO habits_dirty (customer_id) VALUES (OLD.customer_id);
END;
CREATE TRIGGER habits_dirty_payment_gone AFTER DELETE ON payments BEGIN
    INSERT OR IGNORE INTO habits_dirty (customer_id) VALUES (OLD.customer_id);
END;
