-- Issue 23. Within one transaction PostgreSQL keeps every version of a row it updates until
-- the commit, and each later update of that row walks them: an import of invoices sharing a
-- due date rewrote the date's `due_balances` row once per invoice (0.31 ms each for 1,000
-- invoices, 1.25 ms each for 4,000: quadratic), an import of payments settling invoices of
-- one due date the same (1.85 ms an allocation at 5,000), and the `oldest_dues` row of a
-- date once per customer whose earliest due date it became.
--
-- An import sets `relance.bulk` for its transaction (SET LOCAL): to 'invoices', the
-- invoices' insert trigger of the balances steps aside; to 'payments', their update
-- trigger; to either, the earliest due dates' triggers. The import moves the same sums once
-- at its end, grouped by customer, by due date and by earliest due date
-- (`views::balances::add_invoices_since`, `settled_since`), then sets it back. A setting
-- left by an aborted transaction goes with it. Any other write keeps the triggers.
DROP TRIGGER customer_balance_invoice_new ON invoices;
CREATE TRIGGER customer_balance_invoice_new AFTER INSERT ON invoices FOR EACH ROW
    WHEN (NEW.settled_minor < NEW.total_minor
          AND current_setting('relance.bulk', true) IS DISTINCT FROM 'invoices')
    EXECUTE FUNCTION relance_customer_balance();
DROP TRIGGER customer_balance_invoice ON invoices;
CREATE TRIGGER customer_balance_invoice
    AFTER UPDATE OF total_minor, settled_minor, customer_id, currency, due_date ON invoices
    FOR EACH ROW
    WHEN (current_setting('relance.bulk', true) IS DISTINCT FROM 'payments')
    EXECUTE FUNCTION relance_customer_balance();
DROP TRIGGER oldest_due_new ON customer_balances;
CREATE TRIGGER oldest_due_new AFTER INSERT ON customer_balances FOR EACH ROW
    WHEN (NEW.oldest_due <> '' AND COALESCE(current_setting('relance.bulk', true), '') = '')
    EXECUTE FUNCTION relance_oldest_dues();
DROP TRIGGER oldest_due_moved ON customer_balances;
CREATE TRIGGER oldest_due_moved AFTER UPDATE OF currency, oldest_due ON customer_balances
    FOR EACH ROW
    WHEN ((OLD.currency <> NEW.currency OR OLD.oldest_due <> NEW.oldest_due)
          AND COALESCE(current_setting('relance.bulk', true), '') = '')
    EXECUTE FUNCTION relance_oldest_dues();
DROP TRIGGER oldest_due_gone ON customer_balances;
CREATE TRIGGER oldest_due_gone AFTER DELETE ON customer_balances FOR EACH ROW
    WHEN (OLD.oldest_due <> '' AND COALESCE(current_setting('relance.bulk', true), '') = '')
    EXECUTE FUNCTION relance_oldest_dues();

-- An invoice inserted makes its customer's kept actions stale, and nothing else: no promise
-- names it yet. The shared trigger function also asked, through `relance_stale_of_invoice`,
-- for the customers of the promises naming it; that call (an SQL function with its own
-- settings, planned again at each call) was a fifth of an invoice's insert on a server
-- (0.26 ms of 1.2). Its own function now says only what an insert changes.
CREATE FUNCTION relance_agenda_stale_invoice_new() RETURNS trigger LANGUAGE plpgsql
    SECURITY DEFINER SET search_path FROM CURRENT AS $$
BEGIN
    INSERT INTO agenda_stale (customer_id) VALUES (NEW.customer_id) ON CONFLICT DO NOTHING;
    RETURN NULL;
END $$;
DROP TRIGGER agenda_stale_invoice_new ON invoices;
CREATE TRIGGER agenda_stale_invoice_new AFTER INSERT ON invoices FOR EACH ROW
    EXECUTE FUNCTION relance_agenda_stale_invoice_new();

-- The same for the functions the triggers call on every write (the bank book's change log,
-- asked twice per invoice inserted; the kept actions made stale, on every payment): as
-- PL/pgSQL their statements stay prepared for the session, where an SQL function with its
-- own settings is planned again at each call (0.057 ms a call for the bank book's, 0.017
-- now). Their bodies are unchanged.
CREATE OR REPLACE FUNCTION relance_stale_of_invoice(inv BIGINT) RETURNS void
    LANGUAGE plpgsql SECURITY DEFINER SET search_path FROM CURRENT AS $$
BEGIN
    INSERT INTO agenda_stale (customer_id)
        SELECT customer_id FROM invoices WHERE id = inv
        UNION SELECT p.customer_id FROM promise_invoices pi JOIN promises p ON p.id = pi.promise_id
         WHERE pi.invoice_id = inv
        UNION SELECT o.customer_id FROM promise_invoices pi
         JOIN promise_invoices pj ON pj.promise_id = pi.promise_id
         JOIN invoices o ON o.id = pj.invoice_id
         WHERE pi.invoice_id = inv
        ON CONFLICT DO NOTHING;
END $$;
CREATE OR REPLACE FUNCTION relance_stale_of_promise(pid BIGINT) RETURNS void
    LANGUAGE plpgsql SECURITY DEFINER SET search_path FROM CURRENT AS $$
BEGIN
    INSERT INTO agenda_stale (customer_id)
        SELECT customer_id FROM promises WHERE id = pid
        UNION SELECT i.customer_id FROM promise_invoices pi JOIN invoices i ON i.id = pi.invoice_id
         WHERE pi.promise_id = pid
        ON CONFLICT DO NOTHING;
END $$;
CREATE OR REPLACE FUNCTION relance_stale_customer(c BIGINT) RETURNS void
    LANGUAGE plpgsql SECURITY DEFINER SET search_path FROM CURRENT AS $$
BEGIN
    INSERT INTO agenda_stale (customer_id) SELECT c WHERE c IS NOT NULL ON CONFLICT DO NOTHING;
END $$;
CREATE OR REPLACE FUNCTION relance_bank_book_change(k text, v text) RETURNS void
    LANGUAGE plpgsql SECURITY DEFINER SET search_path FROM CURRENT AS $$
BEGIN
    INSERT INTO bank_book_changes (kind, value, seq) VALUES (k, v, 0)
        ON CONFLICT (kind, value) DO UPDATE SET seq = bank_book_changes.seq + 1;
END $$;
