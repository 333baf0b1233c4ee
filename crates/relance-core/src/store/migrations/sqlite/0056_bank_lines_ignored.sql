-- Issue 23. The Bank screen's group of lines set aside is counted and paged from an index
-- of its own, in the order shown (date, then id), as the matched lines and the money out
-- are (migration 49): its count read every line without a payment, and its first page
-- sorted them all (132 ms on a server for 100,000 lines). A line set aside has no payment
-- (the table's CHECK), so the index's WHERE is the group's own term
-- (bank::store::Group::decided_rows); the few lines given back by a reversal are read
-- apart and merged.
CREATE INDEX bank_lines_ignored ON bank_lines(date, id) WHERE ignored IS NOT NULL;
