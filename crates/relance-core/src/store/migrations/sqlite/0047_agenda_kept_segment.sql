-- Issue 23. Today grouped by payer segment read from the day's actions kept, as its sections
-- are (dunning::kept): each kept action now carries its customer's stored segment (from
-- customer_segments, 'new' when none is stored), so a segment's count and totals are an
-- aggregate of an index and its first page that index's head. A change of a stored segment
-- already marks its customer (migration 46's triggers on customer_segments), so a kept row's
-- segment is the stored one for every customer not marked.
--
-- A cache: the rows kept before this version hold no segment, so the table is made again
-- empty and the day forgotten (the next start, import or Today keeps it). The index on the
-- customer alone goes: the key (customer, action) serves the same reads.
DELETE FROM agenda_kept_day;
DROP TABLE agenda_kept;
CREATE TABLE agenda_kept (
    customer_id  INTEGER NOT NULL,
    action_id    TEXT NOT NULL,
    section      TEXT NOT NULL,
    segment      TEXT NOT NULL,
    days_overdue INTEGER NOT NULL,
    currency     TEXT NOT NULL,
    amount_minor INTEGER NOT NULL,
    PRIMARY KEY (customer_id, action_id)
) STRICT;
CREATE INDEX agenda_kept_order ON agenda_kept(section, days_overdue DESC, action_id);
CREATE INDEX agenda_kept_sums ON agenda_kept(section, currency, amount_minor);
CREATE INDEX agenda_kept_segment_order ON agenda_kept(segment, days_overdue DESC, action_id);
CREATE INDEX agenda_kept_segment_sums ON agenda_kept(segment, currency, amount_minor);
