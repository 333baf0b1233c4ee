-- Today's sanction proposals read the customers at risk from the day's refresh: from this
-- index, those customers only, rather than every customer's segment row to keep a few
-- (views::segments; `views::growth` counts the reads).
CREATE INDEX customer_segments_segment ON customer_segments(segment);
