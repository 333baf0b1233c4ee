-- Relance schema v23: every column that refers to another row has an index that starts
-- with it. Deleting or replacing a referenced row (a restore replaces every table) makes
-- SQLite look for the rows that refer to it; without such an index that is a full read of
-- the referring table per row deleted (a restore of the 100,000-invoice benchmark took over
-- ten minutes). The store's tests check that no reference is left without its index.
CREATE INDEX customers_scenario_ref ON customers(scenario_id);
CREATE INDEX promises_customer_ref ON promises(customer_id);
CREATE INDEX disputes_invoice_ref ON disputes(invoice_id);
CREATE INDEX journal_document_ref ON journal(document_id);
CREATE INDEX journal_corrects_ref ON journal(corrects_id);
CREATE INDEX journal_dispute_ref ON journal(dispute_id);
CREATE INDEX journal_promise_ref ON journal(promise_id);
CREATE INDEX bank_statements_import_ref ON bank_statements(import_id);
