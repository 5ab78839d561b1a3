-- First-dose availability per centre and vaccine, day by day, as the centre grains publish it a
-- second or so after it changes. Each silo's read model polls the rows changed since its last look.
CREATE TABLE availability (
    centre_id  text        NOT NULL,
    vaccine    text        NOT NULL,
    days       jsonb       NOT NULL,
    updated_at timestamptz NOT NULL,
    PRIMARY KEY (centre_id, vaccine)
);

-- The street line, for the public feed's Locations.
ALTER TABLE centres ADD COLUMN address text NOT NULL DEFAULT '';

CREATE INDEX availability_updated_at ON availability (updated_at);
CREATE INDEX centres_updated_at ON centres (updated_at);
