-- The keys that encrypt citizens' personal data (ASP.NET Core Data Protection key ring). They live
-- apart from the rows they protect, and every silo shares them.
CREATE TABLE data_protection_keys (
    id            serial      PRIMARY KEY,
    friendly_name text        NOT NULL,
    xml           text        NOT NULL,
    created_at    timestamptz NOT NULL DEFAULT now()
);
