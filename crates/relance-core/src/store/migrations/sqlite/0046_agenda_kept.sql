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
    amount_minor INTEGER NOT NULL
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

-- An invoice: its customer's actions, and those of the makers of the promises naming it (a
-- broken promise's action gathers its open invoices, whoever they belong to).
CREATE TRIGGER agenda_stale_invoice_new AFTER INSERT ON invoices BEGIN
    INSERT INTO agenda_stale (customer_id) VALUES (NEW.customer_id) ON CONFLICT DO NOTHING;
END;
CREATE TRIGGER agenda_stale_invoice AFTER UPDATE OF number, customer_id, due_date, currency,
        total_minor, settled_minor ON invoices BEGIN
    INSERT INTO agenda_stale (customer_id) SELECT c FROM (
        SELECT NEW.customer_id AS c UNION SELECT OLD.customer_id
        UNION SELECT p.customer_id FROM promise_invoices pi CROSS JOIN promises p ON p.id = pi.promise_id
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
    INSERT INTO agenda_stale (customer_id) SELECT c FROM (
        SELECT NEW.customer_id AS c UNION SELECT OLD.customer_id) WHERE true
        ON CONFLICT DO NOTHING;
END;
CREATE TRIGGER agenda_stale_segment_gone AFTER DELETE ON customer_segments BEGIN
    INSERT INTO agenda_stale (customer_id) VALUES (OLD.customer_id) ON CONFLICT DO NOTHING;
END;
-- The journal: an entry's customer (and a promise's maker), and every invoice it names.
CREATE TRIGGER agenda_stale_journal AFTER INSERT ON journal BEGIN
    INSERT INTO agenda_stale (customer_id) SELECT c FROM (
        SELECT NEW.customer_id AS c
        UNION SELECT customer_id FROM promises WHERE id = NEW.promise_id) WHERE true
        ON CONFLICT DO NOTHING;
END;
CREATE TRIGGER agenda_stale_journal_gone AFTER DELETE ON journal BEGIN
    INSERT INTO agenda_stale (customer_id) VALUES (OLD.customer_id) ON CONFLICT DO NOTHING;
END;
CREATE TRIGGER agenda_stale_journal_invoice AFTER INSERT ON journal_invoices BEGIN
    INSERT INTO agenda_stale (customer_id) SELECT c FROM (
        SELECT customer_id AS c FROM invoices WHERE id = NEW.invoice_id
        UNION SELECT p.customer_id FROM promise_invoices pi CROSS JOIN promises p ON p.id = pi.promise_id
         WHERE pi.invoice_id = NEW.invoice_id) WHERE true
        ON CONFLICT DO NOTHING;
END;
CREATE TRIGGER agenda_stale_journal_invoice_gone AFTER DELETE ON journal_invoices BEGIN
    INSERT INTO agenda_stale (customer_id) SELECT c FROM (
        SELECT customer_id AS c FROM invoices WHERE id = OLD.invoice_id
        UNION SELECT p.customer_id FROM promise_invoices pi CROSS JOIN promises p ON p.id = pi.promise_id
         WHERE pi.invoice_id = OLD.invoice_id) WHERE true
        ON CONFLICT DO NOTHING;
END;
-- Promises: their maker, and their invoices' customers.
CREATE TRIGGER agenda_stale_promise_new AFTER INSERT ON promises BEGIN
    INSERT INTO agenda_stale (customer_id) VALUES (NEW.customer_id) ON CONFLICT DO NOTHING;
END;
CREATE TRIGGER agenda_stale_promise AFTER UPDATE ON promises BEGIN
    INSERT INTO agenda_stale (customer_id) SELECT c FROM (
        SELECT NEW.customer_id AS c UNION SELECT OLD.customer_id
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
        UNION SELECT customer_id FROM invoices WHERE id = NEW.invoice_id) WHERE true
        ON CONFLICT DO NOTHING;
END;
CREATE TRIGGER agenda_stale_promise_invoice_gone AFTER DELETE ON promise_invoices BEGIN
    INSERT INTO agenda_stale (customer_id) SELECT c FROM (
        SELECT customer_id AS c FROM promises WHERE id = OLD.promise_id
        UNION SELECT customer_id FROM invoices WHERE id = OLD.invoice_id) WHERE true
        ON CONFLICT DO NOTHING;
END;
-- Disputes and closures take an invoice out of dunning (and out of a promise's action).
CREATE TRIGGER agenda_stale_dispute_new AFTER INSERT ON disputes BEGIN
    INSERT INTO agenda_stale (customer_id) SELECT c FROM (
        SELECT customer_id AS c FROM invoices WHERE id = NEW.invoice_id
        UNION SELECT p.customer_id FROM promise_invoices pi CROSS JOIN promises p ON p.id = pi.promise_id
         WHERE pi.invoice_id = NEW.invoice_id) WHERE true
        ON CONFLICT DO NOTHING;
END;
CREATE TRIGGER agenda_stale_dispute AFTER UPDATE ON disputes BEGIN
    INSERT INTO agenda_stale (customer_id) SELECT c FROM (
        SELECT customer_id AS c FROM invoices WHERE id IN (NEW.invoice_id, OLD.invoice_id)
        UNION SELECT p.customer_id FROM promise_invoices pi CROSS JOIN promises p ON p.id = pi.promise_id
         WHERE pi.invoice_id IN (NEW.invoice_id, OLD.invoice_id)) WHERE true
        ON CONFLICT DO NOTHING;
END;
CREATE TRIGGER agenda_stale_dispute_gone AFTER DELETE ON disputes BEGIN
    INSERT INTO agenda_stale (customer_id) SELECT c FROM (
        SELECT customer_id AS c FROM invoices WHERE id = OLD.invoice_id
        UNION SELECT p.customer_id FROM promise_invoices pi CROSS JOIN promises p ON p.id = pi.promise_id
         WHERE pi.invoice_id = OLD.invoice_id) WHERE true
        ON CONFLICT DO NOTHING;
END;
CREATE TRIGGER agenda_stale_closure_new AFTER INSERT ON invoice_closures BEGIN
    INSERT INTO agenda_stale (customer_id) SELECT c FROM (
        SELECT customer_id AS c FROM invoices WHERE id = NEW.invoice_id
        UNION SELECT p.customer_id FROM promise_invoices pi CROSS JOIN promises p ON p.id = pi.promise_id
         WHERE pi.invoice_id = NEW.invoice_id) WHERE true
        ON CONFLICT DO NOTHING;
END;
CREATE TRIGGER agenda_stale_closure AFTER UPDATE ON invoice_closures BEGIN
    INSERT INTO agenda_stale (customer_id) SELECT c FROM (
        SELECT customer_id AS c FROM invoices WHERE id IN (NEW.invoice_id, OLD.invoice_id)
        UNION SELECT p.customer_id FROM promise_invoices pi CROSS JOIN promises p ON p.id = pi.promise_id
         WHERE pi.invoice_id IN (NEW.invoice_id, OLD.invoice_id)) WHERE true
        ON CONFLICT DO NOTHING;
END;
CREATE TRIGGER agenda_stale_closure_gone AFTER DELETE ON invoice_closures BEGIN
    INSERT INTO agenda_stale (customer_id) SELECT c FROM (
        SELECT customer_id AS c FROM invoices WHERE id = OLD.invoice_id
        UNION SELECT p.customer_id FROM promise_invoices pi CROSS JOIN promises p ON p.id = pi.promise_id
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
