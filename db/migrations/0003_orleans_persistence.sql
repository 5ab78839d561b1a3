-- Grain state table and queries for Microsoft.Orleans.Persistence.AdoNet 10.4.x.
-- Contract (from the provider): keys WriteToStorageKey, ReadFromStorageKey, ClearStorageKey and
-- the optional DeleteStorageKey (needed only with DeleteStateOnClear = true); parameters
-- @GrainIdHash, @GrainIdN0, @GrainIdN1, @GrainTypeHash, @GrainTypeString,
-- @GrainIdExtensionString, @ServiceId, @GrainStateVersion, @PayloadBinary.
-- 10.x always stores the serialized state (whatever IGrainStorageSerializer produces, e.g. JSON
-- bytes) in PayloadBinary, so the older PayloadJson / PayloadXml columns are not created.
-- Version is the grain etag; the provider treats "same version came back" or "no version came
-- back" as a conflict and raises InconsistentStateException.

CREATE TABLE OrleansStorage
(
    GrainIdHash            integer      NOT NULL,
    GrainIdN0              bigint       NOT NULL,
    GrainIdN1              bigint       NOT NULL,
    GrainTypeHash          integer      NOT NULL,
    GrainTypeString        varchar(512) NOT NULL,
    GrainIdExtensionString varchar(512) NULL,      -- string keys / key extensions
    ServiceId              varchar(150) NOT NULL,
    PayloadBinary          bytea        NULL,      -- NULL after ClearState
    ModifiedOn             timestamptz  NOT NULL DEFAULT now(),
    Version                integer      NULL
);

-- One row per grain identity. The hashes lead so lookups use this index; the two long strings
-- are indexed through md5() to stay well under the btree entry size limit, and COALESCE keeps
-- "no extension" (NULL) distinct from an empty extension (md5 of the empty string) while still colliding
-- with itself, so a second first-write of the same grain is rejected by the database.
CREATE UNIQUE INDEX UX_OrleansStorage_Grain ON OrleansStorage
(
    GrainIdHash,
    GrainTypeHash,
    GrainIdN0,
    GrainIdN1,
    ServiceId,
    md5(GrainTypeString),
    COALESCE(md5(GrainIdExtensionString), '')
);

-- Returns the new version on success; on conflict returns the version the caller sent (update path)
-- or NULL (insert path), both of which the provider reports as an etag mismatch.
CREATE FUNCTION write_to_storage(
    p_grain_id_hash    integer,
    p_grain_id_n0      bigint,
    p_grain_id_n1      bigint,
    p_grain_type_hash  integer,
    p_grain_type       text,
    p_grain_id_ext     text,
    p_service_id       text,
    p_version          integer,
    p_payload          bytea)
RETURNS TABLE (NewGrainStateVersion integer)
LANGUAGE plpgsql
AS $$
BEGIN
    IF p_version IS NOT NULL THEN
        -- State was read before: optimistic update guarded by the etag.
        UPDATE OrleansStorage AS s
        SET    PayloadBinary = p_payload,
               ModifiedOn    = now(),
               Version       = s.Version + 1
        WHERE  s.GrainIdHash   = p_grain_id_hash
          AND  s.GrainTypeHash = p_grain_type_hash
          AND  s.GrainIdN0     = p_grain_id_n0
          AND  s.GrainIdN1     = p_grain_id_n1
          AND  s.GrainTypeString = p_grain_type
          AND  s.GrainIdExtensionString IS NOT DISTINCT FROM p_grain_id_ext
          AND  s.ServiceId     = p_service_id
          AND  s.Version       = p_version;

        IF FOUND THEN
            RETURN QUERY SELECT p_version + 1;
        ELSE
            RETURN QUERY SELECT p_version;
        END IF;
    ELSE
        -- No etag: first write. The unique index makes a concurrent duplicate a no-op.
        INSERT INTO OrleansStorage
            (GrainIdHash, GrainIdN0, GrainIdN1, GrainTypeHash, GrainTypeString,
             GrainIdExtensionString, ServiceId, PayloadBinary, ModifiedOn, Version)
        VALUES
            (p_grain_id_hash, p_grain_id_n0, p_grain_id_n1, p_grain_type_hash, p_grain_type,
             p_grain_id_ext, p_service_id, p_payload, now(), 1)
        ON CONFLICT DO NOTHING;

        IF FOUND THEN
            RETURN QUERY SELECT 1;
        ELSE
            RETURN QUERY SELECT NULL::integer;
        END IF;
    END IF;
END
$$;

INSERT INTO OrleansQuery (QueryKey, QueryText) VALUES

('WriteToStorageKey', '
SELECT NewGrainStateVersion
FROM   write_to_storage(@GrainIdHash, @GrainIdN0, @GrainIdN1, @GrainTypeHash, @GrainTypeString,
                        @GrainIdExtensionString, @ServiceId, @GrainStateVersion, @PayloadBinary);
'),

('ReadFromStorageKey', '
SELECT PayloadBinary, Version
FROM   OrleansStorage
WHERE  GrainIdHash = @GrainIdHash
  AND  GrainTypeHash = @GrainTypeHash
  AND  GrainIdN0 = @GrainIdN0
  AND  GrainIdN1 = @GrainIdN1
  AND  GrainTypeString = @GrainTypeString
  AND  GrainIdExtensionString IS NOT DISTINCT FROM @GrainIdExtensionString
  AND  ServiceId = @ServiceId;
'),

-- Keeps the row (payload NULL) and bumps the version, so the etag keeps moving forward.
('ClearStorageKey', '
UPDATE OrleansStorage
SET    PayloadBinary = NULL,
       ModifiedOn = now(),
       Version = Version + 1
WHERE  GrainIdHash = @GrainIdHash
  AND  GrainTypeHash = @GrainTypeHash
  AND  GrainIdN0 = @GrainIdN0
  AND  GrainIdN1 = @GrainIdN1
  AND  GrainTypeString = @GrainTypeString
  AND  GrainIdExtensionString IS NOT DISTINCT FROM @GrainIdExtensionString
  AND  ServiceId = @ServiceId
  AND  Version = @GrainStateVersion
RETURNING Version AS NewGrainStateVersion;
'),

-- Used instead of ClearStorageKey when DeleteStateOnClear = true. Must return a value different
-- from the etag the caller sent, hence Version + 1.
('DeleteStorageKey', '
DELETE FROM OrleansStorage
WHERE  GrainIdHash = @GrainIdHash
  AND  GrainTypeHash = @GrainTypeHash
  AND  GrainIdN0 = @GrainIdN0
  AND  GrainIdN1 = @GrainIdN1
  AND  GrainTypeString = @GrainTypeString
  AND  GrainIdExtensionString IS NOT DISTINCT FROM @GrainIdExtensionString
  AND  ServiceId = @ServiceId
  AND  Version = @GrainStateVersion
RETURNING Version + 1 AS NewGrainStateVersion;
');
