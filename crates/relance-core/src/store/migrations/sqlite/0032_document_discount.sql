-- Relance schema v32: a discount on the whole invoice (issue 21, "remise globale"; EN 16931
-- BG-20, a document-level allowance). Typed on the draft as a percent × 10,000 (5 % is
-- 50000); issued, it is one line per VAT category and rate of the invoice, its amount the
-- percent of that rate's line nets rounded to the cent, negative, with its share of the
-- rate's VAT: `allowance_e4` holds the percent on those lines and is NULL on every other
-- line, so the sums of the lines stay the invoice's net and VAT.
ALTER TABLE invoice_drafts ADD COLUMN discount_e4 INTEGER NOT NULL DEFAULT 0
    CHECK (discount_e4 >= 0 AND discount_e4 < 1000000);
ALTER TABLE invoice_lines ADD COLUMN allowance_e4 INTEGER;
ALTER TABLE credit_note_document_lines ADD COLUMN allowance_e4 INTEGER;
