-- A history entry that a statement line caused (a payment applied from it, its return, a
-- settlement difference, a payer account learnt) names the line by its identity, the key
-- that keeps each bank movement once: the link survives an undo and re-import of the file
-- (the line comes back under a new id, same identity) and points nowhere while it is undone.
-- No foreign key: the journal is append-only, and the lines of an undone import go.
ALTER TABLE journal ADD COLUMN bank_identity TEXT;
