-- Issue 23: the statement lines counted by what decides their group from the line alone, a
-- row per change; the file's migration 59 says what each row means.
CREATE TABLE bank_line_counts (
    grp   TEXT COLLATE "C" NOT NULL CHECK (grp IN ('m', 'i', 'd')),
    lines BIGINT NOT NULL
);
SELECT relance_grant_admitted('bank_line_counts');
INSERT INTO bank_line_counts (grp, lines)
    SELECT 'm', COUNT(*) FROM bank_lines WHERE payment_id IS NOT NULL
    UNION ALL SELECT 'i', COUNT(*) FROM bank_lines WHERE ignored IS NOT NULL
    UNION ALL SELECT 'd', COUNT(*) FROM bank_lines
               WHERE payment_id IS NULL AND ignored IS NULL AND (amount_minor <= 0 OR reversal <> 0);

-- A line's counted group: 'm', 'i', 'd', or '' (waiting: not counted here).
CREATE FUNCTION relance_bank_line_group(payment_id BIGINT, ignored TEXT, amount_minor BIGINT,
                                        reversal BIGINT) RETURNS text LANGUAGE sql IMMUTABLE AS $$
    SELECT CASE WHEN payment_id IS NOT NULL THEN 'm' WHEN ignored IS NOT NULL THEN 'i'
                WHEN amount_minor <= 0 OR reversal <> 0 THEN 'd' ELSE '' END
$$;

CREATE FUNCTION relance_bank_line_counted() RETURNS trigger LANGUAGE plpgsql
    SECURITY DEFINER SET search_path FROM CURRENT AS $$
DECLARE
    g text;
BEGIN
    IF TG_OP <> 'INSERT' THEN
        g := relance_bank_line_group(OLD.payment_id, OLD.ignored, OLD.amount_minor, OLD.reversal);
        IF g <> '' THEN
            INSERT INTO bank_line_counts (grp, lines) VALUES (g, -1);
        END IF;
    END IF;
    IF TG_OP <> 'DELETE' THEN
        g := relance_bank_line_group(NEW.payment_id, NEW.ignored, NEW.amount_minor, NEW.reversal);
        IF g <> '' THEN
            INSERT INTO bank_line_counts (grp, lines) VALUES (g, 1);
        END IF;
    END IF;
    RETURN NULL;
END $$;

CREATE TRIGGER bank_line_counted_new AFTER INSERT OR DELETE ON bank_lines FOR EACH ROW
    EXECUTE FUNCTION relance_bank_line_counted();
CREATE TRIGGER bank_line_counted_changed
    AFTER UPDATE OF payment_id, ignored, amount_minor, reversal ON bank_lines FOR EACH ROW
    WHEN (relance_bank_line_group(OLD.payment_id, OLD.ignored, OLD.amount_minor, OLD.reversal)
          IS DISTINCT FROM
          relance_bank_line_group(NEW.payment_id, NEW.ignored, NEW.amount_minor, NEW.reversal))
    EXECUTE FUNCTION relance_bank_line_counted();
