-- Issue 23: the file's migration 50 says why. Compared in the "C" collation: the column's
-- own (nocase, nondeterministic) allows neither a regular expression nor a plain upper().
CREATE INDEX invoices_key_of_number ON invoices((upper(translate(number COLLATE "C", '-./_ ', ''))));
CREATE INDEX invoices_number_odd ON invoices(id)
    WHERE (number COLLATE "C") ~ '[^-ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789 ./_]';
