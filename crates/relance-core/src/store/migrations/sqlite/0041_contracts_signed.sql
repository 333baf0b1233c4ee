-- The Contracts list, newest signature first, reads its page from this index and stops
-- there (contracts::list); before it, every contract was derived to show the first ones.
CREATE INDEX contracts_signed ON contracts(signed_on, id);
