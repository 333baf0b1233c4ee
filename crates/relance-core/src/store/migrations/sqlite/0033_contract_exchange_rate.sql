-- Relance schema v33: a contract in another currency than the euro by a French owner states
-- its VAT in euros on every invoice (issue 21, BT-111, as a draft does): euros for one unit
-- of the contract's currency, × 1,000,000, entered with the contract (amendable for the
-- invoices still to come); NULL when none is needed.
ALTER TABLE contracts ADD COLUMN exchange_rate_e6 INTEGER;
