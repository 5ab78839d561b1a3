-- A centre's state as of one of its ledger rows (seq), so that an activation reads this row and
-- the ledger after it instead of every fact. The ledger stays the truth: a snapshot is only ever
-- written for rows already committed, replaced by a later one, and ignored when its format is
-- not the one the engine reads. Payloads are binary and already compact; storing them without
-- compression saves PostgreSQL the work on every write and read.
CREATE TABLE centre_snapshots (
    centre_id  text        PRIMARY KEY,
    seq        bigint      NOT NULL,
    format     int         NOT NULL,
    payload    bytea       NOT NULL,
    taken_at   timestamptz NOT NULL
);
ALTER TABLE centre_snapshots ALTER COLUMN payload SET STORAGE EXTERNAL;
