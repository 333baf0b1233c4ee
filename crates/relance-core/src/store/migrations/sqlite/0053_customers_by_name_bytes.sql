-- Issue 23. The Customers screen filtered by a payer segment lists it by name in byte order
-- (views::segments::in_segment, Rust's order of strings). It read every stored row of the
-- segment and sorted them: 184 ms at a million invoices for the forgetful customers (93,000
-- of 100,000 after a day's reminders). An index on the name in byte order (this column's
-- own collation; customers_name is the list's NOCASE one) lets a page walk the customers by
-- name and stop at the page's end; the count comes from the index on the segment.
CREATE INDEX customers_name_bytes ON customers(name);
