-- Issue 23. The Bank screen reads a page of each group of statement lines, newest first
-- (bank::store::groups), the decided groups in SQL: the matched lines and the money out
-- are each walked from the head of an index of their own (date, then id: the order shown)
-- and counted from it, rather than every line of the ledger read and sorted for a page.
-- Each index's WHERE is the very term the group's filter carries, so the planner takes it.
CREATE INDEX bank_lines_matched ON bank_lines(date, id) WHERE payment_id IS NOT NULL;
CREATE INDEX bank_lines_out ON bank_lines(date, id) WHERE (amount_minor <= 0 OR reversal <> 0);
