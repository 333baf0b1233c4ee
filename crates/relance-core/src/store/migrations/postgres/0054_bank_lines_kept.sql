-- Issue 23: each waiting statement line's group kept for the Bank screen, what its proposal
-- may read, and the book's changes logged by triggers; the file's migration 54 says what
-- each table and trigger means.
CREATE TABLE bank_line_kept (
    line_id BIGINT PRIMARY KEY,
    grp     BIGINT NOT NULL CHECK (grp IN (0, 1, 2)),
    date    TEXT COLLATE "C" NOT NULL
);
CREATE INDEX bank_line_kept_page ON bank_line_kept(grp, date, line_id);
CREATE TABLE bank_line_asks (
    kind    TEXT COLLATE "C" NOT NULL,
    value   TEXT COLLATE "C" NOT NULL,
    line_id BIGINT NOT NULL,
    PRIMARY KEY (kind, value, line_id)
);
CREATE INDEX bank_line_asks_line ON bank_line_asks(line_id);
CREATE TABLE bank_book_changes (
    kind  TEXT COLLATE "C" NOT NULL,
    value TEXT COLLATE "C" NOT NULL,
    seq   BIGINT NOT NULL,
    PRIMARY KEY (kind, value)
);
SELECT relance_grant_admitted('bank_line_kept');
SELECT relance_grant_admitted('bank_line_asks');
SELECT relance_grant_admitted('bank_book_changes');
INSERT INTO bank_book_changes (kind, value, seq) VALUES ('*', '', 0);

CREATE FUNCTION relance_bank_book_change(k text, v text) RETURNS void LANGUAGE sql
    SECURITY DEFINER SET search_path FROM CURRENT AS $$
    INSERT INTO bank_book_changes (kind, value, seq) VALUES (k, v, 0)
        ON CONFLICT (kind, value) DO UPDATE SET seq = bank_book_changes.seq + 1;
$$;

CREATE FUNCTION relance_bank_book() RETURNS trigger LANGUAGE plpgsql
    SECURITY DEFINER SET search_path FROM CURRENT AS $$
BEGIN
    IF TG_TABLE_NAME = 'invoices' THEN
        IF TG_OP = 'DELETE' THEN
            PERFORM relance_bank_book_change('n', OLD.number);
            PERFORM relance_bank_book_change('c', OLD.customer_id::text);
        ELSE
            PERFORM relance_bank_book_change('i', NEW.id::text);
            IF TG_OP = 'UPDATE' THEN
                IF OLD.number <> NEW.number THEN
                    PERFORM relance_bank_book_change('n', OLD.number);
                END IF;
                IF OLD.customer_id <> NEW.customer_id THEN
                    PERFORM relance_bank_book_change('c', OLD.customer_id::text);
                END IF;
            END IF;
        END IF;
    ELSIF TG_TABLE_NAME = 'invoice_closures' THEN
        IF TG_OP <> 'INSERT' THEN
            PERFORM relance_bank_book_change('i', OLD.invoice_id::text);
        END IF;
        IF TG_OP <> 'DELETE' THEN
            PERFORM relance_bank_book_change('i', NEW.invoice_id::text);
        END IF;
    ELSIF TG_TABLE_NAME = 'payment_references' THEN
        IF TG_OP <> 'INSERT' THEN
            PERFORM relance_bank_book_change('r', OLD.reference);
        END IF;
        IF TG_OP <> 'DELETE' THEN
            PERFORM relance_bank_book_change('r', NEW.reference);
        END IF;
    ELSIF TG_TABLE_NAME = 'payment_reference_invoices' THEN
        IF TG_OP <> 'INSERT' THEN
            PERFORM relance_bank_book_change('r', r.reference)
               FROM payment_references r WHERE r.id = OLD.reference_id;
        END IF;
        IF TG_OP <> 'DELETE' THEN
            PERFORM relance_bank_book_change('r', r.reference)
               FROM payment_references r WHERE r.id = NEW.reference_id;
        END IF;
        IF TG_OP = 'UPDATE' THEN
            PERFORM relance_bank_book_change('i', OLD.invoice_id::text);
            PERFORM relance_bank_book_change('i', NEW.invoice_id::text);
        END IF;
    ELSIF TG_TABLE_NAME = 'payer_accounts' THEN
        IF TG_OP <> 'INSERT' THEN
            PERFORM relance_bank_book_change('a', OLD.account);
        END IF;
        IF TG_OP <> 'DELETE' THEN
            PERFORM relance_bank_book_change('a', NEW.account);
        END IF;
    ELSIF TG_TABLE_NAME = 'customers' THEN
        IF TG_OP <> 'INSERT' THEN
            PERFORM relance_bank_book_change('m', OLD.name);
        END IF;
        IF TG_OP <> 'DELETE' THEN
            PERFORM relance_bank_book_change('c', NEW.id::text);
        END IF;
    ELSIF TG_TABLE_NAME = 'settings' THEN
        PERFORM relance_bank_book_change('*', '');
    ELSIF TG_TABLE_NAME = 'bank_lines' THEN
        IF TG_OP = 'DELETE' THEN
            DELETE FROM bank_line_kept WHERE line_id = OLD.id;
            DELETE FROM bank_line_asks WHERE line_id = OLD.id;
        ELSE
            PERFORM relance_bank_book_change('l', NEW.id::text);
            IF NEW.reverses IS NOT NULL THEN
                PERFORM relance_bank_book_change('l', NEW.reverses::text);
            END IF;
        END IF;
        IF TG_OP <> 'INSERT' AND OLD.reverses IS NOT NULL THEN
            PERFORM relance_bank_book_change('l', OLD.reverses::text);
        END IF;
    END IF;
    RETURN NULL;
END $$;

CREATE TRIGGER bank_book_invoice_new AFTER INSERT ON invoices FOR EACH ROW
    EXECUTE FUNCTION relance_bank_book();
CREATE TRIGGER bank_book_invoice_changed
    AFTER UPDATE OF number, customer_id, currency, total_minor, settled_minor, due_date ON invoices
    FOR EACH ROW EXECUTE FUNCTION relance_bank_book();
CREATE TRIGGER bank_book_invoice_gone AFTER DELETE ON invoices FOR EACH ROW
    EXECUTE FUNCTION relance_bank_book();
CREATE TRIGGER bank_book_closure_new AFTER INSERT ON invoice_closures FOR EACH ROW
    EXECUTE FUNCTION relance_bank_book();
CREATE TRIGGER bank_book_closure_gone AFTER DELETE ON invoice_closures FOR EACH ROW
    EXECUTE FUNCTION relance_bank_book();
CREATE TRIGGER bank_book_closure_changed AFTER UPDATE OF invoice_id ON invoice_closures
    FOR EACH ROW EXECUTE FUNCTION relance_bank_book();
CREATE TRIGGER bank_book_reference_new AFTER INSERT ON payment_references FOR EACH ROW
    EXECUTE FUNCTION relance_bank_book();
CREATE TRIGGER bank_book_reference_changed AFTER UPDATE ON payment_references FOR EACH ROW
    EXECUTE FUNCTION relance_bank_book();
CREATE TRIGGER bank_book_reference_gone AFTER DELETE ON payment_references FOR EACH ROW
    EXECUTE FUNCTION relance_bank_book();
CREATE TRIGGER bank_book_reference_invoice_new AFTER INSERT ON payment_reference_invoices
    FOR EACH ROW EXECUTE FUNCTION relance_bank_book();
CREATE TRIGGER bank_book_reference_invoice_gone AFTER DELETE ON payment_reference_invoices
    FOR EACH ROW EXECUTE FUNCTION relance_bank_book();
CREATE TRIGGER bank_book_reference_invoice_changed AFTER UPDATE ON payment_reference_invoices
    FOR EACH ROW EXECUTE FUNCTION relance_bank_book();
CREATE TRIGGER bank_book_payer_new AFTER INSERT ON payer_accounts FOR EACH ROW
    EXECUTE FUNCTION relance_bank_book();
CREATE TRIGGER bank_book_payer_changed AFTER UPDATE ON payer_accounts FOR EACH ROW
    EXECUTE FUNCTION relance_bank_book();
CREATE TRIGGER bank_book_payer_gone AFTER DELETE ON payer_accounts FOR EACH ROW
    EXECUTE FUNCTION relance_bank_book();
CREATE TRIGGER bank_book_customer_new AFTER INSERT ON customers FOR EACH ROW
    EXECUTE FUNCTION relance_bank_book();
CREATE TRIGGER bank_book_customer_changed AFTER UPDATE OF name, archived_on ON customers
    FOR EACH ROW EXECUTE FUNCTION relance_bank_book();
CREATE TRIGGER bank_book_customer_gone AFTER DELETE ON customers FOR EACH ROW
    EXECUTE FUNCTION relance_bank_book();
CREATE TRIGGER bank_book_tolerance_new AFTER INSERT ON settings FOR EACH ROW
    WHEN (NEW.key IN ('bank_tolerance', 'bank_tolerance_percent'))
    EXECUTE FUNCTION relance_bank_book();
CREATE TRIGGER bank_book_tolerance AFTER UPDATE ON settings FOR EACH ROW
    WHEN (NEW.key IN ('bank_tolerance', 'bank_tolerance_percent')
          OR OLD.key IN ('bank_tolerance', 'bank_tolerance_percent'))
    EXECUTE FUNCTION relance_bank_book();
CREATE TRIGGER bank_book_tolerance_gone AFTER DELETE ON settings FOR EACH ROW
    WHEN (OLD.key IN ('bank_tolerance', 'bank_tolerance_percent'))
    EXECUTE FUNCTION relance_bank_book();
CREATE TRIGGER bank_book_line_new AFTER INSERT ON bank_lines FOR EACH ROW
    EXECUTE FUNCTION relance_bank_book();
CREATE TRIGGER bank_book_line_changed AFTER UPDATE ON bank_lines FOR EACH ROW
    EXECUTE FUNCTION relance_bank_book();
CREATE TRIGGER bank_book_line_gone AFTER DELETE ON bank_lines FOR EACH ROW
    EXECUTE FUNCTION relance_bank_book();
