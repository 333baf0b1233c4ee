-- A sanction's undo puts back only what the sanction changed and nobody changed since: the
-- state the sanction left, kept beside the state before it. A field the owner edited after
-- the sanction (a new credit limit typed in the customer form) keeps the owner's value.
-- Rows written before this migration have no "after" (NULL): their undo restores every field.
ALTER TABLE sanction_before ADD COLUMN after_on_hold INTEGER;
ALTER TABLE sanction_before ADD COLUMN after_hold_reason TEXT;
ALTER TABLE sanction_before ADD COLUMN after_credit_limit_minor INTEGER;
ALTER TABLE sanction_before ADD COLUMN has_after INTEGER NOT NULL DEFAULT 0;
