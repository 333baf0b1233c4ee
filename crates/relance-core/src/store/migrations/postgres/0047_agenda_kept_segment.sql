-- Today grouped by payer segment read from the day's actions kept: the file's migration 47
-- says why each kept action carries its customer's stored segment.
DELETE FROM agenda_kept_day;
DROP TABLE agenda_kept;
CREATE TABLE agenda_kept (
    customer_id  BIGINT NOT NULL,
    action_id    TEXT COLLATE "C" NOT NULL,
    section      TEXT NOT NULL,
    segment      TEXT NOT NULL,
    days_overdue BIGINT NOT NULL,
    currency     TEXT NOT NULL,
    amount_minor BIGINT NOT NULL,
    PRIMARY KEY (customer_id, action_id)
);
CREATE INDEX agenda_kept_order ON agenda_kept(section, days_overdue DESC, action_id);
CREATE INDEX agenda_kept_sums ON agenda_kept(section, currency, amount_minor);
CREATE INDEX agenda_kept_segment_order ON agenda_kept(segment, days_overdue DESC, action_id);
CREATE INDEX agenda_kept_segment_sums ON agenda_kept(segment, currency, amount_minor);
SELECT relance_grant_admitted('agenda_kept');
