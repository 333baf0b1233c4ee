-- Issue 23. The credits waiting for a decision (money in, neither matched nor set aside) are
-- read from an index of their own, in the order shown. `bank_lines_open` (migration 21) also
-- held every line of money out, which is never matched nor set aside: each Today read (the
-- credits that hold invoices, the count to review) walked the whole history of the money out.
-- Every read of it names the four terms as written here (bank::store::UNDECIDED,
-- CREDITS_WAITING, CREDITS_TO_REVIEW): `+payment_id` keeps SQLite off the payments' unique
-- index (`payment_id IS NULL` through it is every line without a payment, the lines set
-- aside and the money out included, then sorted), and a partial index serves a query whose
-- terms are its own, so the index says it the same way (PostgreSQL too).
DROP INDEX IF EXISTS bank_lines_open;
CREATE INDEX bank_lines_waiting ON bank_lines(date, id)
    WHERE +payment_id IS NULL AND ignored IS NULL AND amount_minor > 0 AND reversal = 0;
