-- Today reads what may be due, not every open invoice (dunning::wake). Each open invoice has
-- one row: the earliest day the agenda may propose one of its steps, from its due date, its
-- customer's scenario and what its journal says was done, skipped or snoozed; '9999-12-31'
-- when every step was handled; '' when a fact it follows from changed, until the next
-- refresh computes it again (the agenda derives such an invoice every time meanwhile).
CREATE TABLE agenda_wake (
    invoice_id INTEGER PRIMARY KEY REFERENCES invoices(id) ON DELETE CASCADE,
    wake_on    TEXT NOT NULL
);
CREATE INDEX agenda_wake_on ON agenda_wake(wake_on);
-- The latest day a refresh computed from: a row holds for any day on or after the day it
-- was computed, so the wake dates serve an agenda of this day or later (an earlier day is
-- derived from every open invoice).
CREATE TABLE agenda_wake_since (
    id  INTEGER PRIMARY KEY CHECK (id = 1),
    day TEXT NOT NULL
);
INSERT INTO agenda_wake (invoice_id, wake_on)
    SELECT id, '' FROM invoices WHERE settled_minor < total_minor;

-- An invoice opens: a row to compute; it closes: none.
CREATE TRIGGER agenda_wake_new AFTER INSERT ON invoices
    WHEN NEW.settled_minor < NEW.total_minor
BEGIN
    INSERT INTO agenda_wake (invoice_id, wake_on) VALUES (NEW.id, '')
        ON CONFLICT (invoice_id) DO UPDATE SET wake_on = '';
END;
CREATE TRIGGER agenda_wake_reopened AFTER UPDATE OF settled_minor, total_minor ON invoices
    WHEN NEW.settled_minor < NEW.total_minor AND NOT (OLD.settled_minor < OLD.total_minor)
BEGIN
    INSERT INTO agenda_wake (invoice_id, wake_on) VALUES (NEW.id, '')
        ON CONFLICT (invoice_id) DO UPDATE SET wake_on = '';
END;
CREATE TRIGGER agenda_wake_closed AFTER UPDATE OF settled_minor, total_minor ON invoices
    WHEN NOT (NEW.settled_minor < NEW.total_minor) AND OLD.settled_minor < OLD.total_minor
BEGIN
    DELETE FROM agenda_wake WHERE invoice_id = NEW.id;
END;
-- Its due date or customer changed.
CREATE TRIGGER agenda_wake_invoice AFTER UPDATE OF due_date, customer_id ON invoices
    WHEN NEW.due_date IS NOT OLD.due_date OR NEW.customer_id IS NOT OLD.customer_id
BEGIN
    UPDATE agenda_wake SET wake_on = '' WHERE invoice_id = NEW.id;
END;
-- A step done, skipped or snoozed (or such an entry removed with an undone import), or undone.
CREATE TRIGGER agenda_wake_step AFTER INSERT ON journal_invoices
    WHEN NEW.step_offset IS NOT NULL
BEGIN
    UPDATE agenda_wake SET wake_on = '' WHERE invoice_id = NEW.invoice_id;
END;
CREATE TRIGGER agenda_wake_step_gone AFTER DELETE ON journal_invoices
    WHEN OLD.step_offset IS NOT NULL
BEGIN
    UPDATE agenda_wake SET wake_on = '' WHERE invoice_id = OLD.invoice_id;
END;
CREATE TRIGGER agenda_wake_undo AFTER INSERT ON journal
    WHEN NEW.kind = 'action_undone'
BEGIN
    UPDATE agenda_wake SET wake_on = ''
     WHERE invoice_id IN (SELECT invoice_id FROM journal_invoices WHERE journal_id = NEW.corrects_id);
END;
-- The customer's scenario may change: chosen, key account, payer segment.
CREATE TRIGGER agenda_wake_customer AFTER UPDATE OF scenario_id, key_account ON customers
    WHEN NEW.scenario_id IS NOT OLD.scenario_id OR NEW.key_account IS NOT OLD.key_account
BEGIN
    UPDATE agenda_wake SET wake_on = ''
     WHERE invoice_id IN (SELECT id FROM invoices WHERE customer_id = NEW.id);
END;
CREATE TRIGGER agenda_wake_segment_new AFTER INSERT ON customer_segments
BEGIN
    UPDATE agenda_wake SET wake_on = ''
     WHERE invoice_id IN (SELECT id FROM invoices WHERE customer_id = NEW.customer_id);
END;
CREATE TRIGGER agenda_wake_segment AFTER UPDATE ON customer_segments
    WHEN NEW.segment IS NOT OLD.segment OR NEW.customer_id IS NOT OLD.customer_id
BEGIN
    UPDATE agenda_wake SET wake_on = ''
     WHERE invoice_id IN (SELECT id FROM invoices WHERE customer_id IN (NEW.customer_id, OLD.customer_id));
END;
CREATE TRIGGER agenda_wake_segment_gone AFTER DELETE ON customer_segments
BEGIN
    UPDATE agenda_wake SET wake_on = ''
     WHERE invoice_id IN (SELECT id FROM invoices WHERE customer_id = OLD.customer_id);
END;
-- A scenario's steps, or which scenario a code names (the default, key accounts', late
-- payers'): every row.
CREATE TRIGGER agenda_wake_scenario_new AFTER INSERT ON scenarios
    WHEN NEW.code IS NOT NULL
BEGIN
    UPDATE agenda_wake SET wake_on = '' WHERE wake_on <> '';
END;
CREATE TRIGGER agenda_wake_scenario AFTER UPDATE OF code ON scenarios
    WHEN NEW.code IS NOT OLD.code
BEGIN
    UPDATE agenda_wake SET wake_on = '' WHERE wake_on <> '';
END;
CREATE TRIGGER agenda_wake_scenario_gone AFTER DELETE ON scenarios
BEGIN
    UPDATE agenda_wake SET wake_on = '' WHERE wake_on <> '';
END;
CREATE TRIGGER agenda_wake_steps_new AFTER INSERT ON scenario_steps
BEGIN
    UPDATE agenda_wake SET wake_on = '' WHERE wake_on <> '';
END;
CREATE TRIGGER agenda_wake_steps AFTER UPDATE ON scenario_steps
BEGIN
    UPDATE agenda_wake SET wake_on = '' WHERE wake_on <> '';
END;
CREATE TRIGGER agenda_wake_steps_gone AFTER DELETE ON scenario_steps
BEGIN
    UPDATE agenda_wake SET wake_on = '' WHERE wake_on <> '';
END;
