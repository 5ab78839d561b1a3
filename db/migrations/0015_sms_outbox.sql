-- The SMS outbox. A centre's decision and the messages it owes the people concerned are written
-- by the same statement, so a confirmation is never sent for a booking that did not commit, and
-- a committed booking never lacks its message. A dispatcher claims due rows with
-- FOR UPDATE SKIP LOCKED, sends them, and records the outcome in the same row.
CREATE TABLE sms_outbox (
    id              bigint      GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    centre_id       text        NOT NULL,
    reference       text        NOT NULL,
    template        text        NOT NULL,
    -- The citizen's contact as the API protected it; only the dispatcher can read the number.
    recipient       text        NOT NULL,
    text            text        NOT NULL,
    -- What the message costs against the provider's segments-per-second limit.
    segments        smallint    NOT NULL,
    created_at      timestamptz NOT NULL,
    status          text        NOT NULL DEFAULT 'pending'
        CHECK (status IN ('pending', 'sent', 'delivered', 'undelivered', 'failed')),
    attempts        integer     NOT NULL DEFAULT 0,
    next_attempt_at timestamptz NOT NULL,
    provider_sid    text,
    last_error      text,
    sent_at         timestamptz
);

-- The dispatcher's queue: only rows still to send, oldest due first. This is the only index
-- besides the key: each one is another insertion for every booking.
CREATE INDEX sms_outbox_due ON sms_outbox (next_attempt_at, id) WHERE status = 'pending';

-- The text columns are free text; sampling them for the planner costs and tells it nothing.
ALTER TABLE sms_outbox ALTER COLUMN recipient SET STATISTICS 0, ALTER COLUMN text SET STATISTICS 0;
