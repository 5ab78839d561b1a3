-- Reminder table and queries for Microsoft.Orleans.Reminders.AdoNet 10.4.x.
-- Contract (from the provider): parameters @ServiceId, @GrainId, @ReminderName, @StartTime,
-- @Period (int or bigint milliseconds), @GrainHash, @BeginHash, @EndHash, @Version; result
-- columns GrainId, ReminderName, StartTime, Period, Version. Version is the reminder etag.

CREATE TABLE OrleansRemindersTable
(
    ServiceId    varchar(150)   NOT NULL,
    GrainId      varchar(512)   NOT NULL,  -- GrainId.ToString(), i.e. "type/key"
    ReminderName varchar(150)   NOT NULL,
    StartTime    timestamptz(3) NOT NULL,
    Period       bigint         NOT NULL,  -- milliseconds
    GrainHash    integer        NOT NULL,  -- uniform hash of the grain id, as a signed int
    Version      integer        NOT NULL,

    CONSTRAINT PK_OrleansRemindersTable PRIMARY KEY (ServiceId, GrainId, ReminderName)
);

-- Each silo periodically loads the reminders of its hash-ring range.
CREATE INDEX IX_OrleansRemindersTable_GrainHash ON OrleansRemindersTable (ServiceId, GrainHash);

INSERT INTO OrleansQuery (QueryKey, QueryText) VALUES

-- Insert or replace; returns the new etag (0 on first insert).
('UpsertReminderRowKey', '
INSERT INTO OrleansRemindersTable
    (ServiceId, GrainId, ReminderName, StartTime, Period, GrainHash, Version)
VALUES
    (@ServiceId, @GrainId, @ReminderName, @StartTime, CAST(@Period AS bigint), @GrainHash, 0)
ON CONFLICT (ServiceId, GrainId, ReminderName) DO UPDATE
SET StartTime = EXCLUDED.StartTime,
    Period    = EXCLUDED.Period,
    GrainHash = EXCLUDED.GrainHash,
    Version   = OrleansRemindersTable.Version + 1
RETURNING Version;
'),

('ReadReminderRowsKey', '
SELECT GrainId, ReminderName, StartTime, Period, Version
FROM   OrleansRemindersTable
WHERE  ServiceId = @ServiceId
  AND  GrainId = @GrainId;
'),

('ReadReminderRowKey', '
SELECT GrainId, ReminderName, StartTime, Period, Version
FROM   OrleansRemindersTable
WHERE  ServiceId = @ServiceId
  AND  GrainId = @GrainId
  AND  ReminderName = @ReminderName;
'),

-- Range (BeginHash, EndHash] that does not wrap around in signed order.
('ReadRangeRows1Key', '
SELECT GrainId, ReminderName, StartTime, Period, Version
FROM   OrleansRemindersTable
WHERE  ServiceId = @ServiceId
  AND  GrainHash > @BeginHash
  AND  GrainHash <= @EndHash;
'),

-- Range that wraps around: everything above BeginHash plus everything up to EndHash.
('ReadRangeRows2Key', '
SELECT GrainId, ReminderName, StartTime, Period, Version
FROM   OrleansRemindersTable
WHERE  ServiceId = @ServiceId
  AND  (GrainHash > @BeginHash OR GrainHash <= @EndHash);
'),

-- Etag-guarded delete; the provider expects a single truthy / falsy value.
('DeleteReminderRowKey', '
WITH deleted AS (
    DELETE FROM OrleansRemindersTable
    WHERE  ServiceId = @ServiceId
      AND  GrainId = @GrainId
      AND  ReminderName = @ReminderName
      AND  Version = @Version
    RETURNING 1
)
SELECT count(*)::integer FROM deleted;
'),

('DeleteReminderRowsKey', '
DELETE FROM OrleansRemindersTable
WHERE  ServiceId = @ServiceId;
');
