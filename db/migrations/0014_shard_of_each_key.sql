-- Each citizen and idempotency shard grain reads the keys it owns when it activates, so that it
-- can skip the look-up for a key it has never seen. The owner is recorded with each row; a row
-- without one (written by hand, or by a tool) is read by every shard, which is always safe.

-- The shard of a key, as Shards.Of computes it: FNV-1a over the key's UTF-16 code units, modulo
-- 128. Characters beyond the Basic Multilingual Plane count as their two surrogates.
CREATE FUNCTION booking_shard(key text) RETURNS smallint
LANGUAGE plpgsql IMMUTABLE STRICT PARALLEL SAFE AS $$
DECLARE
    hash bigint := 2166136261;
    code integer;
    unit integer;
BEGIN
    FOR i IN 1 .. length(key) LOOP
        code := ascii(substr(key, i, 1));
        FOREACH unit IN ARRAY CASE WHEN code > 65535
            THEN ARRAY[55296 + ((code - 65536) >> 10), 56320 + ((code - 65536) & 1023)]
            ELSE ARRAY[code] END
        LOOP
            hash := ((hash # unit) * 16777619) & 4294967295;
        END LOOP;
    END LOOP;
    RETURN (hash % 128)::smallint;
END
$$;

ALTER TABLE citizen_bookings ADD COLUMN shard smallint;
UPDATE citizen_bookings SET shard = booking_shard(identity_key);
CREATE INDEX citizen_bookings_shard ON citizen_bookings (shard);

ALTER TABLE idempotency ADD COLUMN shard smallint;
UPDATE idempotency SET shard = booking_shard(scope || E'\n' || key);
CREATE INDEX idempotency_shard ON idempotency (shard);
