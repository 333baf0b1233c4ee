-- Issue 23. The bank matcher's book narrowed to what the lines waiting ask (bank::book):
-- the invoices whose number's key a line may name are found through an index on that key,
-- the number upper-cased without '-', '.', '/', '_' and spaces, which is the matcher's key
-- (letters and digits, upper-cased) exactly for a number of ASCII letters, digits and those
-- five. The few numbers with any other character are kept apart by a partial index and
-- keyed in Rust. The expressions are bank::book's number_key_sql and odd_number_sql, word
-- for word, so the planner finds these indexes.
CREATE INDEX invoices_key_of_number ON invoices(
    upper(replace(replace(replace(replace(replace(number, '-', ''), '.', ''), '/', ''), '_', ''), ' ', '')));
CREATE INDEX invoices_number_odd ON invoices(id)
    WHERE number GLOB '*[^-ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789 ./_]*';
