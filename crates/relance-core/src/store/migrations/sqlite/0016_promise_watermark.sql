-- A promise is kept by what is paid after it is made: the last allocation recorded when it
-- was made (allocations numbered after it count). NULL for promises made before this column:
-- they keep the former rule (allocations dated from the day it was made).
ALTER TABLE promises ADD COLUMN after_allocation INTEGER;
