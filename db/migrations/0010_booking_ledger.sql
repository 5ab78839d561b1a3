-- Booking's own tables. A centre's state is the replay of its ledger; the other tables are
-- small indexes written in the same statement as the ledger rows they belong to.

-- Every decision of every centre, in the centre's order. (centre_id, seq) is also the guard
-- against two activations of one centre writing at once: the second one's batch fails.
CREATE TABLE ledger (
    centre_id   text        NOT NULL,
    seq         bigint      NOT NULL,
    kind        text        NOT NULL,
    payload     jsonb       NOT NULL,
    recorded_at timestamptz NOT NULL,
    PRIMARY KEY (centre_id, seq)
);

-- The directory of centres, for listings and search; rewritten on each configuration.
CREATE TABLE centres (
    id          text             PRIMARY KEY,
    name        text             NOT NULL,
    postcode    text             NOT NULL,
    city        text             NOT NULL,
    latitude    double precision NOT NULL,
    longitude   double precision NOT NULL,
    time_zone   text             NOT NULL,
    vaccines    text[]           NOT NULL,
    updated_at  timestamptz      NOT NULL
);

-- Which centre holds a booking reference, and whose it is (identity hash only).
CREATE TABLE booking_refs (
    reference    text        PRIMARY KEY,
    centre_id    text        NOT NULL,
    identity_key text        NOT NULL,
    created_at   timestamptz NOT NULL
);

-- The active booking of each identity (I4): at most one row per identity, nationwide.
CREATE TABLE citizen_bookings (
    identity_key text PRIMARY KEY,
    reference    text NOT NULL,
    centre_id    text NOT NULL
);

-- Answers to writes that carried an Idempotency-Key, replayed on a repeat (I7).
CREATE TABLE idempotency (
    scope        text        NOT NULL,
    key          text        NOT NULL,
    request_hash text        NOT NULL,
    status_code  integer     NOT NULL,
    response     text        NOT NULL,
    created_at   timestamptz NOT NULL,
    PRIMARY KEY (scope, key)
);
