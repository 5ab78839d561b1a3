-- Every changed centre rewrites its availability rows each second, about 3 KB of JSON per vaccine.
-- As jsonb, PostgreSQL parsed each document on the way in, printed it again for the read model on
-- the way out, and compressed it with pglz. Nothing queries inside the documents, so they are
-- stored as the text the centres wrote, compressed with lz4. With the index change below, the
-- server went from 0.45-0.46 to 0.41-0.42 cores at 800 bookings a second.
ALTER TABLE availability ALTER COLUMN days TYPE text USING days::text;
ALTER TABLE availability ALTER COLUMN days SET COMPRESSION lz4;
ALTER TABLE availability ALTER COLUMN days SET STATISTICS 0;

-- Without an index on updated_at, a rewrite changes no indexed column and can stay on its page
-- (a HOT update: no index insertions, and the old version is pruned in place); the free half of
-- each page leaves it room. The read model's scan of a few thousand rows a second needs no index.
DROP INDEX availability_updated_at;
ALTER TABLE availability SET (fillfactor = 50);
