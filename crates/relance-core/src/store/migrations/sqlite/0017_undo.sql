-- Undo (issue 19). The journal stays append-only: undoing "done", "skipped" or "snoozed"
-- appends an 'action_undone' entry whose corrects_id names the entry it cancels; the agenda
-- and the promises read only entries nobody undid. This index finds the few undone ones.
CREATE INDEX journal_undone ON journal(corrects_id) WHERE kind = 'action_undone';

-- A sanction's undo puts the customer back as they were just before it: their state then,
-- kept beside the journal entry that recorded the sanction.
CREATE TABLE sanction_before (
    journal_id         INTEGER PRIMARY KEY REFERENCES journal(id),
    on_hold            INTEGER NOT NULL,
    hold_reason        TEXT NOT NULL,
    credit_limit_minor INTEGER
) STRICT;
