-- Ledger payloads were jsonb: PostgreSQL parsed every fact on the way in and printed it again for
-- every rebuild, in its own key order. Nothing queries inside a fact (an operator can still cast
-- to jsonb); the engine replays the text it wrote. At 800 bookings a second the server took
-- 0.36-0.37 cores against 0.37-0.42 before (two trials each). This rewrites the table once.
ALTER TABLE ledger ALTER COLUMN payload TYPE text USING payload::text;
ALTER TABLE ledger ALTER COLUMN payload SET COMPRESSION lz4;
ALTER TABLE ledger ALTER COLUMN payload SET STATISTICS 0;
