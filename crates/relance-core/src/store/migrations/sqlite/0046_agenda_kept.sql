-- Issue 23. Today's sections kept for the day (dunning::kept): with a backlog (a long
-- absence, a ledger of a million invoices: 108,198 actions) each page of Today derived the
-- whole day's agenda (1.6-1.9 s) to count and sum its sections and cut their first page.
--
-- One row per action of the day, never its text: who, its id (the agenda's order within a
-- section is days overdue, most first, then id), its section, currency and amount. A section's
-- count and totals are an aggregate of the index, its first page the index's head, whose
-- customers' actions are derived again to be shown.
CREATE TABLE agenda_kept (
    customer_id  INTEGER NOT NULL,
    action_id    TEXT NOT NULL,
    section      TEXT NOT NULL,
    days_overdue INTEGER NOT NULL,
    currency     TEXT NOT NULL,
    amount_minor INTEGER NOT NULL,
    PRIMARY KEY (customer_id, action_id)
) STRICT;
CREATE INDEX agenda_kept_order ON agenda_kept(section, days_overdue DESC, action_id);
CREATE INDEX agenda_kept_sums ON agenda_kept(section, currency, amount_minor);
CREATE INDEX agenda_kept_customer ON agenda_kept(customer_id);
-- The day the rows were derived for, and what else they were derived with: the default
-- currency (in the ids), the promise grace days, and the credits from the bank not matched
-- yet ("EUR:12000,USD:500", each pair once, sorted: an invoice whose balance one of them
-- equals waits). No row: nothing kept (Today derives the whole day).
CREATE TABLE agenda_kept_day (
    id       INTEGER PRIMARY KEY CHECK (id = 1),
    day      TEXT NOT NULL,
    currency TEXT NOT NULL,
    grace    INTEGER NOT NULL,
    arrived  TEXT NOT NULL
) STRICT;
-- The customers whose actions may have changed since they were kept: marked in the
-- transaction of any fact the agenda reads of them (below), derived again on each reading
-- until an act or the next start keeps them again.
CREATE TABLE agenda_stale (
    customer_id INTEGER PRIMARY KEY
) STRICT, WITHOUT ROWID;

-- An invoice marks its customer, the makers of the promises naming it, and the customers of
-- every invoice those promises name: a promise pauses all its invoices while it holds, is
-- broken or kept by all of them, and its broken promise's action (the oldest open
-- invoice's customer's) gathers them, whoever owns them.
CREATE TRIGGER agenda_stale_invoice_new AFTER INSERT ON invoices BEGIN
    INSERT INTO agenda_stale (customer_id) VALUES (NEW.customer_id) ON CONFLICT DO NOTHING;
END;
CREATE TRIGGER agenda_stale_invoice AFTER UPDATE OF number, customer_id, due_date, currency,
        total_minor, settled_minor ON invoices BEGIN
    INSERT INTO agenda_stale (customer_id) VALUES (OLD.customer_id) ON CONFLICT DO NOTHING;
    INSERT INTO agenda_stale (customer_id) SELECT c FROM (
        SELECT customer_id AS c FROM invoices WHERE id = NEW.id
        UNION SELECT p.customer_id FROM promise_invoices pi CROSS JOIN promises p ON p.id = pi.promise_id
         WHERE pi.invoice_id = NEW.id
        UNION SELECT o.customer_id FROM promise_invoices pi
         CROSS JOIN promise_invoices pj ON pj.promise_id = pi.promise_id
         CROSS JOIN invoices o ON o.id = pj.invoice_id
         WHERE pi.invoice_id = NEW.id) WHERE true
        ON CONFLICT DO NOTHING;
END;
CREATE TRIGGER agenda_stale_invoice_gone AFTER DELETE ON invoices BEGIN
    INSERT INTO agenda_stale (customer_id) VALUES (OLD.customer_id) ON CONFLICT DO NOTHING;
END;
-- The customer: reference (in the action's id), scenario, key account; gone. (Their name and
-- hold are in no kept row: a page's actions are derived again to be shown.)
CREATE TRIGGER agenda_stale_customer AFTER UPDATE OF reference, scenario_id, key_account
        ON customers BEGIN
    INSERT INTO agenda_stale (customer_id) VALUES (NEW.id) ON CONFLICT DO NOTHING;
END;
CREATE TRIGGER agenda_stale_customer_gone AFTER DELETE ON customers BEGIN
    INSERT INTO agenda_stale (customer_id) VALUES (OLD.id) ON CONFLICT DO NOTHING;
END;
-- The stored payer segment (Late payer's scenario).
CREATE TRIGGER agenda_stale_segment_new AFTER INSERT ON customer_segments BEGIN
    INSERT INTO agenda_stale (customer_id) VALUES (NEW.customer_id) ON CONFLICT DO NOTHING;
END;
CREATE TRIGGER agenda_stale_segment AFTER UPDATE OF segment, customer_id ON customer_segments BEGIN
    INSERT INTO agenda_stale (customer_id) VALUES (NEW.customer_id) ON CONFLICT DO NOTHING;
    INSERT INTO agenda_stale (customer_id) VALUES (OLD.customer_id) ON CONFLICT DO NOTHING;
END;
CREATE TRIGGER agenda_stale_segment_gone AFTER DELETE ON customer_segments BEGIN
    INSERT INTO agenda_stale (customer_id) VALUES (OLD.customer_id) ON CONFLICT DO NOTHING;
END;
-- The journal: an entry's customer, its promise's (maker and invoices), every invoice it
-- names, and an undo's undone entry (its customer and invoices).
CREATE TRIGGER agenda_stale_journal AFTER INSERT ON journal BEGIN
    INSERT INTO agenda_stale (customer_id) VALUES (NEW.customer_id) ON CONFLICT DO NOTHING;
    INSERT INTO agenda_stale (customer_id) SELECT c FROM (
        SELECT customer_id AS c FROM promises WHERE id = NEW.promise_id
        UNION SELECT i.customer_id FROM promise_invoices pi CROSS JOIN invoices i ON i.id = pi.invoice_id
         WHERE pi.promise_id = NEW.promise_id) WHERE true
        ON CONFLICT DO NOTHING;
    INSERT INTO agenda_stale (customer_id) SELECT c FROM (
        SELECT customer_id AS c FROM journal WHERE id = NEW.corrects_id) WHERE true
        ON CONFLICT DO NOTHING;
    INSERT INTO agenda_stale (customer_id) SELECT c FROM (
        SELECT customer_id AS c FROM invoices
         WHERE id IN (SELECT invoice_id FROM journal_invoices WHERE journal_id = NEW.corrects_id)
        UNION SELECT p.customer_id FROM promise_invoices pi CROSS JOIN promises p ON p.id = pi.promise_id
         WHERE pi.invoice_id IN (SELECT invoice_id FROM journal_invoices WHERE journal_id = NEW.corrects_id)
        UNION SELECT o.customer_id FROM promise_invoices pi
         CROSS JOIN promise_invoices pj ON pj.promise_id = pi.promise_id
         CROSS JOIN invoices o ON o.id = pj.invoice_id
         WHERE pi.invoice_id IN (SELECT invoice_id FROM journal_invoices WHERE journal_id = NEW.corrects_id)) WHERE true
        ON CONFLICT DO NOTHING;
END;
CREATE TRIGGER agenda_stale_journal_gone AFTER DELETE ON journal BEGIN
    INSERT INTO agenda_stale (customer_id) VALUES (OLD.customer_id) ON CONFLICT DO NOTHING;
END;
CREATE TRIGGER agenda_stale_journal_invoice AFTER INSERT ON journal_invoices BEGIN
    INSERT INTO agenda_stale (customer_id) SELECT c FROM (
        SELECT customer_id AS c FROM invoices WHERE id = NEW.invoice_id
        UNION SELECT p.customer_id FROM promise_invoices pi CROSS JOIN promises p ON p.id = pi.promise_id
         WHERE pi.invoice_id = NEW.invoice_id
        UNION SELECT o.customer_id FROM promise_invoices pi
         CROSS JOIN promise_invoices pj ON pj.promise_id = pi.promise_id
         CROSS JOIN invoices o ON o.id = pj.invoice_id
         WHERE pi.invoice_id = NEW.invoice_id) WHERE true
        ON CONFLICT DO NOTHING;
END;
CREATE TRIGGER agenda_stale_journal_invoice_gone AFTER DELETE ON journal_invoices BEGIN
    INSERT INTO agenda_stale (customer_id) SELECT c FROM (
        SELECT customer_id AS c FROM invoices WHERE id = OLD.invoice_id
        UNION SELECT p.customer_id FROM promise_invoices pi CROSS JOIN promises p ON p.id = pi.promise_id
         WHERE pi.invoice_id = OLD.invoice_id
        UNION SELECT o.customer_id FROM promise_invoices pi
         CROSS JOIN promise_invoices pj ON pj.promise_id = pi.promise_id
         CROSS JOIN invoices o ON o.id = pj.invoice_id
         WHERE pi.invoice_id = OLD.invoice_id) WHERE true
        ON CONFLICT DO NOTHING;
END;
-- Promises: their maker and every invoice they name (with the other promises naming them).
CREATE TRIGGER agenda_stale_promise_new AFTER INSERT ON promises BEGIN
    INSERT INTO agenda_stale (customer_id) VALUES (NEW.customer_id) ON CONFLICT DO NOTHING;
END;
CREATE TRIGGER agenda_stale_promise AFTER UPDATE ON promises BEGIN
    INSERT INTO agenda_stale (customer_id) VALUES (OLD.customer_id) ON CONFLICT DO NOTHING;
    INSERT INTO agenda_stale (customer_id) SELECT c FROM (
        SELECT customer_id AS c FROM promises WHERE id = NEW.id
        UNION SELECT i.customer_id FROM promise_invoices pi CROSS JOIN invoices i ON i.id = pi.invoice_id
         WHERE pi.promise_id = NEW.id) WHERE true
        ON CONFLICT DO NOTHING;
END;
CREATE TRIGGER agenda_stale_promise_gone AFTER DELETE ON promises BEGIN
    INSERT INTO agenda_stale (customer_id) VALUES (OLD.customer_id) ON CONFLICT DO NOTHING;
END;
CREATE TRIGGER agenda_stale_promise_invoice_new AFTER INSERT ON promise_invoices BEGIN
    INSERT INTO agenda_stale (customer_id) SELECT c FROM (
        SELECT customer_id AS c FROM promises WHERE id = NEW.promise_id
        UNION SELECT i.customer_id FROM promise_invoices pi CROSS JOIN invoices i ON i.id = pi.invoice_id
         WHERE pi.promise_id = NEW.promise_id) WHERE true
        ON CONFLICT DO NOTHING;
    INSERT INTO agenda_stale (customer_id) SELECT c FROM (
        SELECT customer_id AS c FROM invoices WHERE id = NEW.invoice_id
        UNION SELECT p.customer_id FROM promise_invoices pi CROSS JOIN promises p ON p.id = pi.promise_id
         WHERE pi.invoice_id = NEW.invoice_id
        UNION SELECT o.customer_id FROM promise_invoices pi
         CROSS JOIN promise_invoices pj ON pj.promise_id = pi.promise_id
         CROSS JOIN invoices o ON o.id = pj.invoice_id
         WHERE pi.invoice_id = NEW.invoice_id) WHERE true
        ON CONFLICT DO NOTHING;
END;
CREATE TRIGGER agenda_stale_promise_invoice AFTER UPDATE ON promise_invoices BEGIN
    INSERT INTO agenda_stale (customer_id) SELECT c FROM (
        SELECT customer_id AS c FROM promises WHERE id = OLD.promise_id
        UNION SELECT i.customer_id FROM promise_invoices pi CROSS JOIN invoices i ON i.id = pi.invoice_id
         WHERE pi.promise_id = OLD.promise_id) WHERE true
        ON CONFLICT DO NOTHING;
    INSERT INTO agenda_stale (customer_id) SELECT c FROM (
        SELECT customer_id AS c FROM invoices WHERE id = OLD.invoice_id
        UNION SELECT p.customer_id FROM promise_invoices pi CROSS JOIN promises p ON p.id = pi.promise_id
         WHERE pi.invoice_id = OLD.invoice_id
        UNION SELECT o.customer_id FROM promise_invoices pi
         CROSS JOIN promise_invoices pj ON pj.promise_id = pi.promise_id
         CROSS JOIN invoices o ON o.id = pj.invoice_id
         WHERE pi.invoice_id = OLD.invoice_id) WHERE true
        ON CONFLICT DO NOTHING;
    INSERT INTO agenda_stale (customer_id) SELECT c FROM (
        SELECT customer_id AS c FROM promises WHERE id = NEW.promise_id
        UNION SELECT i.customer_id FROM promise_invoices pi CROSS JOIN invoices i ON i.id = pi.invoice_id
         WHERE pi.promise_id = NEW.promise_id) WHERE true
        ON CONFLICT DO NOTHING;
    INSERT INTO agenda_stale (customer_id) SELECT c FROM (
        SELECT customer_id AS c FROM invoices WHERE id = NEW.invoice_id
        UNION SELECT p.customer_id FROM promise_invoices pi CROSS JOIN promises p ON p.id = pi.promise_id
         WHERE pi.invoice_id = NEW.invoice_id
        UNION SELECT o.customer_id FROM promise_invoices pi
         CROSS JOIN promise_invoices pj ON pj.promise_id = pi.promise_id
         CROSS JOIN invoices o ON o.id = pj.invoice_id
         WHERE pi.invoice_id = NEW.invoice_id) WHERE true
        ON CONFLICT DO NOTHING;
END;
CREATE TRIGGER agenda_stale_promise_invoice_gone AFTER DELETE ON promise_invoices BEGIN
    INSERT INTO agenda_stale (customer_id) SELECT c FROM (
        SELECT customer_id AS c FROM promises WHERE id = OLD.promise_id
        UNION SELECT i.customer_id FROM promise_invoices pi CROSS JOIN invoices i ON i.id = pi.invoice_id
         WHERE pi.promise_id = OLD.promise_id) WHERE true
        ON CONFLICT DO NOTHING;
    INSERT INTO agenda_stale (customer_id) SELECT c FROM (
        SELECT customer_id AS c FROM invoices WHERE id = OLD.invoice_id
        UNION SELECT p.customer_id FROM promise_invoices pi CROSS JOIN promises p ON p.id = pi.promise_id
         WHERE pi.invoice_id = OLD.invoice_id
        UNION SELECT o.customer_id FROM promise_invoices pi
         CROSS JOIN promise_invoices pj ON pj.promise_id = pi.promise_id
         CROSS JOIN invoices o ON o.id = pj.invoice_id
         WHERE pi.invoice_id = OLD.invoice_id) WHERE true
        ON CONFLICT DO NOTHING;
END;
-- Disputes and closures take an invoice out of dunning (and out of a promise's action).
CREATE TRIGGER agenda_stale_dispute_new AFTER INSERT ON disputes BEGIN
    INSERT INTO agenda_stale (customer_id) SELECT c FROM (
        SELECT customer_id AS c FROM invoices WHERE id = NEW.invoice_id
        UNION SELECT p.customer_id FROM promise_invoices pi CROSS JOIN promises p ON p.id = pi.promise_id
         WHERE pi.invoice_id = NEW.invoice_id
        UNION SELECT o.customer_id FROM promise_invoices pi
         CROSS JOIN promise_invoices pj ON pj.promise_id = pi.promise_id
         CROSS JOIN invoices o ON o.id = pj.invoice_id
         WHERE pi.invoice_id = NEW.invoice_id) WHERE true
        ON CONFLICT DO NOTHING;
END;
CREATE TRIGGER agenda_stale_dispute AFTER UPDATE ON disputes BEGIN
    INSERT INTO agenda_stale (customer_id) SELECT c FROM (
        SELECT customer_id AS c FROM invoices WHERE id = OLD.invoice_id
        UNION SELECT p.customer_id FROM promise_invoices pi CROSS JOIN promises p ON p.id = pi.promise_id
         WHERE pi.invoice_id = OLD.invoice_id
        UNION SELECT o.customer_id FROM promise_invoices pi
         CROSS JOIN promise_invoices pj ON pj.promise_id = pi.promise_id
         CROSS JOIN invoices o ON o.id = pj.invoice_id
         WHERE pi.invoice_id = OLD.invoice_id) WHERE true
        ON CONFLICT DO NOTHING;
    INSERT INTO agenda_stale (customer_id) SELECT c FROM (
        SELECT customer_id AS c FROM invoices WHERE id = NEW.invoice_id
        UNION SELECT p.customer_id FROM promise_invoices pi CROSS JOIN promises p ON p.id = pi.promise_id
         WHERE pi.invoice_id = NEW.invoice_id
        UNION SELECT o.customer_id FROM promise_invoices pi
         CROSS JOIN promise_invoices pj ON pj.promise_id = pi.promise_id
         CROSS JOIN invoices o ON o.id = pj.invoice_id
         WHERE pi.invoice_id = NEW.invoice_id) WHERE true
        ON CONFLICT DO NOTHING;
END;
CREATE TRIGGER agenda_stale_dispute_gone AFTER DELETE ON disputes BEGIN
    INSERT INTO agenda_stale (customer_id) SELECT c FROM (
        SELECT customer_id AS c FROM invoices WHERE id = OLD.invoice_id
        UNION SELECT p.customer_id FROM promise_invoices pi CROSS JOIN promises p ON p.id = pi.promise_id
         WHERE pi.invoice_id = OLD.invoice_id
        UNION SELECT o.customer_id FROM promise_invoices pi
         CROSS JOIN promise_invoices pj ON pj.promise_id = pi.promise_id
         CROSS JOIN invoices o ON o.id = pj.invoice_id
         WHERE pi.invoice_id = OLD.invoice_id) WHERE true
        ON CONFLICT DO NOTHING;
END;
CREATE TRIGGER agenda_stale_closure_new AFTER INSERT ON invoice_closures BEGIN
    INSERT INTO agenda_stale (customer_id) SELECT c FROM (
        SELECT customer_id AS c FROM invoices WHERE id = NEW.invoice_id
        UNION SELECT p.customer_id FROM promise_invoices pi CROSS JOIN promises p ON p.id = pi.promise_id
         WHERE pi.invoice_id = NEW.invoice_id
        UNION SELECT o.customer_id FROM promise_invoices pi
         CROSS JOIN promise_invoices pj ON pj.promise_id = pi.promise_id
         CROSS JOIN invoices o ON o.id = pj.invoice_id
         WHERE pi.invoice_id = NEW.invoice_id) WHERE true
        ON CONFLICT DO NOTHING;
END;
CREATE TRIGGER agenda_stale_closure AFTER UPDATE ON invoice_closures BEGIN
    INSERT INTO agenda_stale (customer_id) SELECT c FROM (
        SELECT customer_id AS c FROM invoices WHERE id = OLD.invoice_id
        UNION SELECT p.customer_id FROM promise_invoices pi CROSS JOIN promises p ON p.id = pi.promise_id
         WHERE pi.invoice_id = OLD.invoice_id
        UNION SELECT o.customer_id FROM promise_invoices pi
         CROSS JOIN promise_invoices pj ON pj.promise_id = pi.promise_id
         CROSS JOIN invoices o ON o.id = pj.invoice_id
         WHERE pi.invoice_id = OLD.invoice_id) WHERE true
        ON CONFLICT DO NOTHING;
    INSERT INTO agenda_stale (customer_id) SELECT c FROM (
        SELECT customer_id AS c FROM invoices WHERE id = NEW.invoice_id
        UNION SELECT p.customer_id FROM promise_invoices pi CROSS JOIN promises p ON p.id = pi.promise_id
         WHERE pi.invoice_id = NEW.invoice_id
        UNION SELECT o.customer_id FROM promise_invoices pi
         CROSS JOIN promise_invoices pj ON pj.promise_id = pi.promise_id
         CROSS JOIN invoices o ON o.id = pj.invoice_id
         WHERE pi.invoice_id = NEW.invoice_id) WHERE true
        ON CONFLICT DO NOTHING;
END;
CREATE TRIGGER agenda_stale_closure_gone AFTER DELETE ON invoice_closures BEGIN
    INSERT INTO agenda_stale (customer_id) SELECT c FROM (
        SELECT customer_id AS c FROM invoices WHERE id = OLD.invoice_id
        UNION SELECT p.customer_id FROM promise_invoices pi CROSS JOIN promises p ON p.id = pi.promise_id
         WHERE pi.invoice_id = OLD.invoice_id
        UNION SELECT o.customer_id FROM promise_invoices pi
         CROSS JOIN promise_invoices pj ON pj.promise_id = pi.promise_id
         CROSS JOIN invoices o ON o.id = pj.invoice_id
         WHERE pi.invoice_id = OLD.invoice_id) WHERE true
        ON CONFLICT DO NOTHING;
END;
-- A scenario or a step (which scenario a code names, what each does): nothing kept holds.
CREATE TRIGGER agenda_kept_scenario_new AFTER INSERT ON scenarios BEGIN
    DELETE FROM agenda_kept_day;
END;
CREATE TRIGGER agenda_kept_scenario AFTER UPDATE ON scenarios BEGIN
    DELETE FROM agenda_kept_day;
END;
CREATE TRIGGER agenda_kept_scenario_gone AFTER DELETE ON scenarios BEGIN
    DELETE FROM agenda_kept_day;
END;
CREATE TRIGGER agenda_kept_steps_new AFTER INSERT ON scenario_steps BEGIN
    DELETE FROM agenda_kept_day;
END;
CREATE TRIGGER agenda_kept_steps AFTER UPDATE ON scenario_steps BEGIN
    DELETE FROM agenda_kept_day;
END;
CREATE TRIGGER agenda_kept_steps_gone AFTER DELETE ON scenario_steps BEGIN
    DELETE FROM agenda_kept_day;
END;
