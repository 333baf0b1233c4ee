-- Issue 23. The Bank screen counts its decided groups (matched, set aside, money out) at
-- every reading; with tens of thousands of lines in a group each count walked that group's
-- index (on a server 11.5 ms for the 62,715 lines set aside at a million invoices, before
-- the visibility map is set). What decides a line's group from the line alone is now
-- counted here, a row per change: 'm' a line with a payment, 'i' one set aside, 'd' one
-- neither, of money out or a reversal. A line's group also depends on whether another line
-- gives it back (a line given back before it was decided is set aside, not waiting nor
-- money out); those are few and read from the reversals' index (bank::kept::decided_totals).
-- The triggers insert and never update: on a server, a row updated for every line of a
-- statement's import walked every version of it in that transaction (quadratic). Each fold
-- (bank::kept::fold_in) takes the rows (DELETE ... RETURNING: a row another writer adds
-- meanwhile stays for the next) and writes their sums, one row per group; `relance check` compares the
-- sums with the lines, `--rebuild` writes them from the lines.
CREATE TABLE bank_line_counts (
    id    INTEGER PRIMARY KEY,
    grp   TEXT NOT NULL CHECK (grp IN ('m', 'i', 'd')),
    lines INTEGER NOT NULL
) STRICT;
INSERT INTO bank_line_counts (grp, lines)
    SELECT 'm', COUNT(*) FROM bank_lines WHERE payment_id IS NOT NULL
    UNION ALL SELECT 'i', COUNT(*) FROM bank_lines WHERE ignored IS NOT NULL
    UNION ALL SELECT 'd', COUNT(*) FROM bank_lines
               WHERE payment_id IS NULL AND ignored IS NULL AND (amount_minor <= 0 OR reversal <> 0);

CREATE TRIGGER bank_line_counted_new AFTER INSERT ON bank_lines
WHEN NEW.payment_id IS NOT NULL OR NEW.ignored IS NOT NULL OR NEW.amount_minor <= 0 OR NEW.reversal <> 0
BEGIN
    INSERT INTO bank_line_counts (grp, lines) VALUES (
        CASE WHEN NEW.payment_id IS NOT NULL THEN 'm' WHEN NEW.ignored IS NOT NULL THEN 'i' ELSE 'd' END, 1);
END;
CREATE TRIGGER bank_line_counted_gone AFTER DELETE ON bank_lines
WHEN OLD.payment_id IS NOT NULL OR OLD.ignored IS NOT NULL OR OLD.amount_minor <= 0 OR OLD.reversal <> 0
BEGIN
    INSERT INTO bank_line_counts (grp, lines) VALUES (
        CASE WHEN OLD.payment_id IS NOT NULL THEN 'm' WHEN OLD.ignored IS NOT NULL THEN 'i' ELSE 'd' END, -1);
END;
CREATE TRIGGER bank_line_counted_changed
AFTER UPDATE OF payment_id, ignored, amount_minor, reversal ON bank_lines
WHEN (CASE WHEN OLD.payment_id IS NOT NULL THEN 'm' WHEN OLD.ignored IS NOT NULL THEN 'i'
           WHEN OLD.amount_minor <= 0 OR OLD.reversal <> 0 THEN 'd' ELSE '' END)
  <> (CASE WHEN NEW.payment_id IS NOT NULL THEN 'm' WHEN NEW.ignored IS NOT NULL THEN 'i'
           WHEN NEW.amount_minor <= 0 OR NEW.reversal <> 0 THEN 'd' ELSE '' END)
BEGIN
    INSERT INTO bank_line_counts (grp, lines)
        SELECT CASE WHEN OLD.payment_id IS NOT NULL THEN 'm' WHEN OLD.ignored IS NOT NULL THEN 'i' ELSE 'd' END, -1
         WHERE OLD.payment_id IS NOT NULL OR OLD.ignored IS NOT NULL OR OLD.amount_minor <= 0 OR OLD.reversal <> 0
        UNION ALL
        SELECT CASE WHEN NEW.payment_id IS NOT NULL THEN 'm' WHEN NEW.ignored IS NOT NULL THEN 'i' ELSE 'd' END, 1
         WHERE NEW.payment_id IS NOT NULL OR NEW.ignored IS NOT NULL OR NEW.amount_minor <= 0 OR NEW.reversal <> 0;
END;
