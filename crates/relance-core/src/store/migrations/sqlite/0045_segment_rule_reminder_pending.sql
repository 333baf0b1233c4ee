-- The payer segments' last rule changed (views::segments::segment_of): with nothing paid
-- after a reminder, a customer is a slow payer only once an open invoice's first reminder
-- has gone unpaid longer than segment_forgetful_days ('reminder_pending' until then; a
-- first reminder made a slow payer of them the day it was sent). The segments stored by
-- the day's refresh were decided by the old rule: the next start refreshes (and logs each
-- segment that moves), and until then Today derives every customer.
DELETE FROM segment_refresh;
