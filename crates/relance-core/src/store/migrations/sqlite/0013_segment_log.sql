-- Relance schema v13: the payer segment each customer was last seen in (refreshed once a
-- day when a shell starts), so a change of segment becomes a history entry with the rule
-- that fired, and the dunning scenario can follow the segment; key accounts marked by the
-- owner follow the Key account scenario.
CREATE TABLE customer_segments (
    customer_id INTEGER PRIMARY KEY REFERENCES customers(id),
    segment     TEXT NOT NULL,
    rule        TEXT NOT NULL,
    since       TEXT NOT NULL
) STRICT;
ALTER TABLE customers ADD COLUMN key_account INTEGER NOT NULL DEFAULT 0 CHECK (key_account IN (0, 1));
-- When the segments were last refreshed (one row).
CREATE TABLE segment_refresh (
    id      INTEGER PRIMARY KEY CHECK (id = 1),
    on_date TEXT NOT NULL
) STRICT;
