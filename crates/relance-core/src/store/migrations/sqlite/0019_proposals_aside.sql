-- A sanction proposal put aside on Today (issue 19): "later" until a date, or "ignored" with a
-- reason. It stays aside while the customer's segment (since when they are in it) and the
-- rule that fired are the same; a new segment spell or another rule brings it back.
CREATE TABLE proposal_decisions (
    id            INTEGER PRIMARY KEY,
    customer_id   INTEGER NOT NULL REFERENCES customers(id),
    rule_code     TEXT NOT NULL,
    segment_since TEXT,
    decision      TEXT NOT NULL CHECK (decision IN ('later', 'ignored')),
    until_date    TEXT,
    reason        TEXT NOT NULL DEFAULT '',
    on_date       TEXT NOT NULL
) STRICT;
CREATE INDEX proposal_decisions_customer ON proposal_decisions(customer_id, id);
