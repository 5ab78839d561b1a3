-- Autovacuum's ANALYZE samples every column and sorts the sample to build its statistics. For the
-- ledger's jsonb payloads that means comparing thousands of jsonb documents each time the ledger
-- has grown by a tenth, which under load took about a third of the server's CPU while it ran. No
-- query filters, joins or sorts on these documents, so the planner needs no statistics for them.
ALTER TABLE ledger ALTER COLUMN payload SET STATISTICS 0;
ALTER TABLE availability ALTER COLUMN days SET STATISTICS 0;
ALTER TABLE idempotency ALTER COLUMN response SET STATISTICS 0;
