-- Issue 23. The dashboard's DSO trend sums what was billed (invoices by issue date) and what
-- was settled (the `settlements` view by date, in its invoice's currency) over the last two
-- years at every reading: every invoice of those years, 75 ms of a 134 ms screen on a file
-- and 185 ms on a server at a million invoices. Those sums are now kept here per currency
-- and day, and the trend reads at most two years of days (views::day_sums).
--
-- A row per change: the triggers insert and never update (on a server, a row updated for
-- every invoice of an import walks every version of it in that transaction: quadratic). A
-- day's figure is the sum of its rows. Each fold (views::day_sums::fold_in: at a start, and
-- after an import) takes the rows (DELETE ... RETURNING: a row another writer adds
-- meanwhile stays) and writes one per currency and day. A file's bulk import drops the
-- insert triggers and adds what it inserted at once. `relance check` compares the sums with
-- the facts, `--rebuild` writes them from the facts.
CREATE TABLE day_sums (
    id            INTEGER PRIMARY KEY,
    currency      TEXT NOT NULL,
    day           TEXT NOT NULL,
    billed_minor  INTEGER NOT NULL,
    settled_minor INTEGER NOT NULL
) STRICT;
-- Filled from the facts, a row per currency and day. Summed in two parts, the billions and
-- the rest, that never overflow SQLite's 64-bit sums (totals an older build accepted, up to
-- 2^63 - 1 each, would); a day whose sum is beyond 64 bits keeps a row per fact, which each
-- fold writes as several rows.
CREATE TEMP TABLE day_sums_grouped AS
    SELECT currency, day, SUM(billed / 1000000000) AS bq, SUM(billed % 1000000000) AS br,
           SUM(settled / 1000000000) AS sq, SUM(settled % 1000000000) AS sr,
           abs(SUM(billed / 1000000000)) < 9000000000 AND abs(SUM(billed % 1000000000)) < 100000000000000000
           AND abs(SUM(settled / 1000000000)) < 9000000000 AND abs(SUM(settled % 1000000000)) < 100000000000000000
               AS fits
      FROM (SELECT currency, issue_date AS day, total_minor AS billed, 0 AS settled FROM invoices
          UNION ALL
          SELECT i.currency, s.date, 0, s.amount_minor
            FROM settlements s CROSS JOIN invoices i ON i.id = s.invoice_id) f
     GROUP BY currency, day;
INSERT INTO day_sums (currency, day, billed_minor, settled_minor)
    SELECT currency, day, bq * 1000000000 + br, sq * 1000000000 + sr FROM temp.day_sums_grouped
     WHERE fits;
-- (from the days that do not fit, usually none: the facts are not read again)
INSERT INTO day_sums (currency, day, billed_minor, settled_minor)
    SELECT g.currency, g.day, i.total_minor, 0
      FROM temp.day_sums_grouped g
      CROSS JOIN invoices i ON i.currency = g.currency AND i.issue_date = g.day
     WHERE NOT g.fits
    UNION ALL
    SELECT g.currency, g.day, 0, s.amount_minor
      FROM temp.day_sums_grouped g
      CROSS JOIN settlements s ON s.date = g.day
      CROSS JOIN invoices i ON i.id = s.invoice_id AND i.currency = g.currency
     WHERE NOT g.fits;
DROP TABLE temp.day_sums_grouped;
CREATE INDEX day_sums_by_day ON day_sums (currency, day, billed_minor, settled_minor);

-- What an invoice bills, on its issue date.
CREATE TRIGGER day_sums_invoice_new AFTER INSERT ON invoices BEGIN
    INSERT INTO day_sums (currency, day, billed_minor, settled_minor)
        VALUES (NEW.currency, NEW.issue_date, NEW.total_minor, 0);
END;
CREATE TRIGGER day_sums_invoice_gone AFTER DELETE ON invoices BEGIN
    INSERT INTO day_sums (currency, day, billed_minor, settled_minor)
        VALUES (OLD.currency, OLD.issue_date, -OLD.total_minor, 0);
END;
-- (a change of currency moves what settled the invoice too)
CREATE TRIGGER day_sums_invoice_changed AFTER UPDATE OF total_minor, currency, issue_date ON invoices
WHEN OLD.total_minor <> NEW.total_minor OR OLD.currency <> NEW.currency
  OR OLD.issue_date <> NEW.issue_date
BEGIN
    INSERT INTO day_sums (currency, day, billed_minor, settled_minor)
        VALUES (OLD.currency, OLD.issue_date, -OLD.total_minor, 0),
               (NEW.currency, NEW.issue_date, NEW.total_minor, 0);
    INSERT INTO day_sums (currency, day, billed_minor, settled_minor)
        SELECT OLD.currency, s.date, 0, -s.amount_minor FROM settlements s
         WHERE s.invoice_id = NEW.id AND OLD.currency <> NEW.currency
        UNION ALL
        SELECT NEW.currency, s.date, 0, s.amount_minor FROM settlements s
         WHERE s.invoice_id = NEW.id AND OLD.currency <> NEW.currency;
END;

-- What a payment's allocation settles, on its date; and, its payment given back, what the
-- reversal takes back (as the `settlements` view: from the later of the two dates).
CREATE TRIGGER day_sums_allocation_new AFTER INSERT ON allocations BEGIN
    INSERT INTO day_sums (currency, day, billed_minor, settled_minor)
        SELECT i.currency, NEW.date, 0, NEW.amount_minor FROM invoices i WHERE i.id = NEW.invoice_id
        UNION ALL
        SELECT i.currency, max(r.date, NEW.date), 0, -NEW.amount_minor
          FROM payment_reversals r CROSS JOIN invoices i
         WHERE r.payment_id = NEW.payment_id AND i.id = NEW.invoice_id;
END;
CREATE TRIGGER day_sums_allocation_gone AFTER DELETE ON allocations BEGIN
    INSERT INTO day_sums (currency, day, billed_minor, settled_minor)
        SELECT i.currency, OLD.date, 0, -OLD.amount_minor FROM invoices i WHERE i.id = OLD.invoice_id
        UNION ALL
        SELECT i.currency, max(r.date, OLD.date), 0, OLD.amount_minor
          FROM payment_reversals r CROSS JOIN invoices i
         WHERE r.payment_id = OLD.payment_id AND i.id = OLD.invoice_id;
END;
CREATE TRIGGER day_sums_difference_new AFTER INSERT ON settlement_differences BEGIN
    INSERT INTO day_sums (currency, day, billed_minor, settled_minor)
        SELECT i.currency, NEW.date, 0, NEW.amount_minor FROM invoices i WHERE i.id = NEW.invoice_id
        UNION ALL
        SELECT i.currency, max(r.date, NEW.date), 0, -NEW.amount_minor
          FROM payment_reversals r CROSS JOIN invoices i
         WHERE r.payment_id = NEW.payment_id AND i.id = NEW.invoice_id;
END;
CREATE TRIGGER day_sums_difference_gone AFTER DELETE ON settlement_differences BEGIN
    INSERT INTO day_sums (currency, day, billed_minor, settled_minor)
        SELECT i.currency, OLD.date, 0, -OLD.amount_minor FROM invoices i WHERE i.id = OLD.invoice_id
        UNION ALL
        SELECT i.currency, max(r.date, OLD.date), 0, OLD.amount_minor
          FROM payment_reversals r CROSS JOIN invoices i
         WHERE r.payment_id = OLD.payment_id AND i.id = OLD.invoice_id;
END;
CREATE TRIGGER day_sums_credit_note_new AFTER INSERT ON credit_notes BEGIN
    INSERT INTO day_sums (currency, day, billed_minor, settled_minor)
        SELECT i.currency, NEW.date, 0, NEW.amount_minor FROM invoices i WHERE i.id = NEW.invoice_id;
END;
CREATE TRIGGER day_sums_credit_note_gone AFTER DELETE ON credit_notes BEGIN
    INSERT INTO day_sums (currency, day, billed_minor, settled_minor)
        SELECT i.currency, OLD.date, 0, -OLD.amount_minor FROM invoices i WHERE i.id = OLD.invoice_id;
END;
CREATE TRIGGER day_sums_credit_note_moved AFTER UPDATE OF date, invoice_id, amount_minor ON credit_notes
WHEN OLD.date <> NEW.date OR OLD.invoice_id <> NEW.invoice_id OR OLD.amount_minor <> NEW.amount_minor
BEGIN
    INSERT INTO day_sums (currency, day, billed_minor, settled_minor)
        SELECT i.currency, OLD.date, 0, -OLD.amount_minor FROM invoices i WHERE i.id = OLD.invoice_id
        UNION ALL
        SELECT i.currency, NEW.date, 0, NEW.amount_minor FROM invoices i WHERE i.id = NEW.invoice_id;
END;
-- A payment given back: each of its allocations and settlement differences taken back from
-- the later of its date and the reversal's; the reversal undone, given again.
CREATE TRIGGER day_sums_reversal_new AFTER INSERT ON payment_reversals BEGIN
    INSERT INTO day_sums (currency, day, billed_minor, settled_minor)
        SELECT i.currency, max(NEW.date, a.date), 0, -a.amount_minor
          FROM allocations a CROSS JOIN invoices i ON i.id = a.invoice_id
         WHERE a.payment_id = NEW.payment_id
        UNION ALL
        SELECT i.currency, max(NEW.date, d.date), 0, -d.amount_minor
          FROM settlement_differences d CROSS JOIN invoices i ON i.id = d.invoice_id
         WHERE d.payment_id = NEW.payment_id;
END;
CREATE TRIGGER day_sums_reversal_gone AFTER DELETE ON payment_reversals BEGIN
    INSERT INTO day_sums (currency, day, billed_minor, settled_minor)
        SELECT i.currency, max(OLD.date, a.date), 0, a.amount_minor
          FROM allocations a CROSS JOIN invoices i ON i.id = a.invoice_id
         WHERE a.payment_id = OLD.payment_id
        UNION ALL
        SELECT i.currency, max(OLD.date, d.date), 0, d.amount_minor
          FROM settlement_differences d CROSS JOIN invoices i ON i.id = d.invoice_id
         WHERE d.payment_id = OLD.payment_id;
END;
