-- Relance schema v34: who did it (issue 22, "know who did what"). Every history entry names
-- the person who recorded it: on a ledger file, the name set in Settings (`user_name`), else
-- the system account the app or the command line runs as. Entries written before say ''.
ALTER TABLE journal ADD COLUMN actor TEXT NOT NULL DEFAULT '';
