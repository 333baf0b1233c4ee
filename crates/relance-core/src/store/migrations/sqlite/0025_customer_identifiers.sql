-- Relance schema v25: the buyer's identifiers an e-invoice names (EN 16931 BT-47 legal
-- registration, BT-48 VAT identifier) and France's reform requires of a business buyer:
-- SIREN (9 digits, checked) and VAT number, empty when unknown.
ALTER TABLE customers ADD COLUMN siren TEXT NOT NULL DEFAULT '';
ALTER TABLE customers ADD COLUMN vat_number TEXT NOT NULL DEFAULT '';
