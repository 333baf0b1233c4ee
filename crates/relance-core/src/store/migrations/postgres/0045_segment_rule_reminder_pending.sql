-- The segments stored by the day's refresh were decided by the payer segments' old last
-- rule: the file's migration 45 says why.
DELETE FROM segment_refresh;
