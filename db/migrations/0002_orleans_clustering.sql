-- Membership tables and queries for Microsoft.Orleans.Clustering.AdoNet 10.4.x.
-- Contract (from the provider): query keys below, parameters @DeploymentId, @Address, @Port,
-- @Generation, @SiloName, @HostName, @Status, @ProxyPort, @SuspectTimes, @StartTime,
-- @IAmAliveTime, @Version; result columns are read by name.

-- One row per cluster (DeploymentId = ClusterId). Version is the table-wide etag that every
-- membership change must bump, which is how Orleans detects concurrent membership writes.
CREATE TABLE OrleansMembershipVersionTable
(
    DeploymentId varchar(150)   NOT NULL,
    Timestamp    timestamptz(3) NOT NULL DEFAULT now(),
    Version      integer        NOT NULL DEFAULT 0,

    CONSTRAINT PK_OrleansMembershipVersionTable_DeploymentId PRIMARY KEY (DeploymentId)
);

-- One row per silo incarnation (address, port, generation).
CREATE TABLE OrleansMembershipTable
(
    DeploymentId varchar(150)   NOT NULL,
    Address      varchar(45)    NOT NULL,  -- long enough for IPv6 text
    Port         integer        NOT NULL,
    Generation   integer        NOT NULL,
    SiloName     varchar(150)   NOT NULL,
    HostName     varchar(150)   NOT NULL,
    Status       integer        NOT NULL,  -- Orleans SiloStatus: 3 = Active, 6 = Dead
    ProxyPort    integer        NULL,
    SuspectTimes varchar(8000)  NULL,      -- "silo,time|silo,time" as written by the provider
    StartTime    timestamptz(3) NOT NULL,
    IAmAliveTime timestamptz(3) NOT NULL,

    CONSTRAINT PK_OrleansMembershipTable PRIMARY KEY (DeploymentId, Address, Port, Generation),
    CONSTRAINT FK_OrleansMembershipTable_VersionTable FOREIGN KEY (DeploymentId)
        REFERENCES OrleansMembershipVersionTable (DeploymentId)
);

-- Inserting a silo and bumping the version must succeed or fail together; the provider runs each
-- statement in autocommit mode, so the all-or-nothing part lives in a function. The inner block
-- is a subtransaction: raising inside it undoes the version bump, and the handler reports 0.
-- (RAISE is used instead of ASSERT so this still works when plpgsql.check_asserts is off.)
CREATE FUNCTION insert_membership(
    p_deployment_id  text,
    p_address        text,
    p_port           integer,
    p_generation     integer,
    p_silo_name      text,
    p_host_name      text,
    p_status         integer,
    p_proxy_port     integer,
    p_start_time     timestamptz,
    p_i_am_alive     timestamptz,
    p_version        integer)
RETURNS integer
LANGUAGE plpgsql
AS $$
BEGIN
    BEGIN
        -- Bump the etag first: the row lock serialises concurrent membership writers.
        UPDATE OrleansMembershipVersionTable AS v
        SET    Timestamp = now(),
               Version   = v.Version + 1
        WHERE  v.DeploymentId = p_deployment_id
          AND  v.Version = p_version
          AND  v.Version < 2147483647;

        IF NOT FOUND THEN
            RAISE EXCEPTION 'stale membership version' USING ERRCODE = 'OR001';
        END IF;

        INSERT INTO OrleansMembershipTable
            (DeploymentId, Address, Port, Generation, SiloName, HostName,
             Status, ProxyPort, StartTime, IAmAliveTime)
        VALUES
            (p_deployment_id, p_address, p_port, p_generation, p_silo_name, p_host_name,
             p_status, p_proxy_port, p_start_time, p_i_am_alive)
        ON CONFLICT (DeploymentId, Address, Port, Generation) DO NOTHING;

        IF NOT FOUND THEN
            RAISE EXCEPTION 'membership row already exists' USING ERRCODE = 'OR001';
        END IF;

        RETURN 1;
    EXCEPTION
        WHEN SQLSTATE 'OR001' THEN
            RETURN 0;
    END;
END
$$;

-- Same all-or-nothing rule for status / suspicion updates.
CREATE FUNCTION update_membership(
    p_deployment_id  text,
    p_address        text,
    p_port           integer,
    p_generation     integer,
    p_status         integer,
    p_suspect_times  text,
    p_i_am_alive     timestamptz,
    p_version        integer)
RETURNS integer
LANGUAGE plpgsql
AS $$
BEGIN
    BEGIN
        UPDATE OrleansMembershipVersionTable AS v
        SET    Timestamp = now(),
               Version   = v.Version + 1
        WHERE  v.DeploymentId = p_deployment_id
          AND  v.Version = p_version
          AND  v.Version < 2147483647;

        IF NOT FOUND THEN
            RAISE EXCEPTION 'stale membership version' USING ERRCODE = 'OR001';
        END IF;

        -- GREATEST: a delayed write must never move a heartbeat backwards.
        UPDATE OrleansMembershipTable AS m
        SET    Status       = p_status,
               SuspectTimes = p_suspect_times,
               IAmAliveTime = GREATEST(m.IAmAliveTime, p_i_am_alive)
        WHERE  m.DeploymentId = p_deployment_id
          AND  m.Address      = p_address
          AND  m.Port         = p_port
          AND  m.Generation   = p_generation;

        IF NOT FOUND THEN
            RAISE EXCEPTION 'membership row not found' USING ERRCODE = 'OR001';
        END IF;

        RETURN 1;
    EXCEPTION
        WHEN SQLSTATE 'OR001' THEN
            RETURN 0;
    END;
END
$$;

INSERT INTO OrleansQuery (QueryKey, QueryText) VALUES

-- Creates the per-cluster version row once; returns 1 if inserted, 0 if it already existed.
('InsertMembershipVersionKey', '
WITH inserted AS (
    INSERT INTO OrleansMembershipVersionTable (DeploymentId)
    VALUES (@DeploymentId)
    ON CONFLICT (DeploymentId) DO NOTHING
    RETURNING 1
)
SELECT count(*)::integer FROM inserted;
'),

('InsertMembershipKey', '
SELECT insert_membership(
    @DeploymentId, @Address, @Port, @Generation, @SiloName, @HostName,
    @Status, @ProxyPort, @StartTime, @IAmAliveTime, @Version);
'),

('UpdateMembershipKey', '
SELECT update_membership(
    @DeploymentId, @Address, @Port, @Generation,
    @Status, @SuspectTimes, @IAmAliveTime, @Version);
'),

-- Heartbeat: deliberately does not touch the version etag.
('UpdateIAmAlivetimeKey', '
UPDATE OrleansMembershipTable
SET    IAmAliveTime = GREATEST(IAmAliveTime, @IAmAliveTime)
WHERE  DeploymentId = @DeploymentId
  AND  Address = @Address
  AND  Port = @Port
  AND  Generation = @Generation;
'),

-- The LEFT JOIN keeps the version row even when the silo row does not exist (yet):
-- the provider needs the version in every result.
('MembershipReadRowKey', '
SELECT v.DeploymentId, m.Address, m.Port, m.Generation, m.SiloName, m.HostName,
       m.Status, m.ProxyPort, m.SuspectTimes, m.StartTime, m.IAmAliveTime, v.Version
FROM   OrleansMembershipVersionTable AS v
       LEFT JOIN OrleansMembershipTable AS m
              ON m.DeploymentId = v.DeploymentId
             AND m.Address = @Address
             AND m.Port = @Port
             AND m.Generation = @Generation
WHERE  v.DeploymentId = @DeploymentId;
'),

('MembershipReadAllKey', '
SELECT v.DeploymentId, m.Address, m.Port, m.Generation, m.SiloName, m.HostName,
       m.Status, m.ProxyPort, m.SuspectTimes, m.StartTime, m.IAmAliveTime, v.Version
FROM   OrleansMembershipVersionTable AS v
       LEFT JOIN OrleansMembershipTable AS m
              ON m.DeploymentId = v.DeploymentId
WHERE  v.DeploymentId = @DeploymentId;
'),

('DeleteMembershipTableEntriesKey', '
DELETE FROM OrleansMembershipTable WHERE DeploymentId = @DeploymentId;
DELETE FROM OrleansMembershipVersionTable WHERE DeploymentId = @DeploymentId;
'),

-- Used by clients / gateway list providers: active silos (Status 3) that expose a gateway.
('GatewaysQueryKey', '
SELECT Address, ProxyPort, Generation
FROM   OrleansMembershipTable
WHERE  DeploymentId = @DeploymentId
  AND  Status = @Status
  AND  ProxyPort > 0;
'),

-- Per-row cleanup (optional key; 10.4.x prefers it when present). Only deletes a Dead row whose
-- values are still exactly what the provider read, so a concurrently updated row survives.
('CleanupDefunctSiloEntryKey', '
DELETE FROM OrleansMembershipTable
WHERE  DeploymentId = @DeploymentId
  AND  Status = 6
  AND  Address = @Address
  AND  Port = @Port
  AND  Generation = @Generation
  AND  StartTime = @StartTime
  AND  IAmAliveTime = @IAmAliveTime
  AND  COALESCE(SuspectTimes, '''') = COALESCE(@SuspectTimes, '''');
'),

-- Bulk fallback, used only if the per-row key above is missing. Conservative for the same reason.
('CleanupDefunctSiloEntriesKey', '
DELETE FROM OrleansMembershipTable
WHERE  DeploymentId = @DeploymentId
  AND  Status = 6
  AND  IAmAliveTime < @IAmAliveTime
  AND  StartTime < @IAmAliveTime
  AND  COALESCE(SuspectTimes, '''') = '''';
');
