-- Shared catalogue for the Orleans ADO.NET providers (clustering, persistence, reminders).
-- At start-up each provider runs "SELECT QueryKey, QueryText FROM OrleansQuery" and from then on
-- only executes the statements stored here, so the later migrations add their rows to this table.
-- Identifiers are left unquoted on purpose: the SQL inside the providers is unquoted too, so both fold
-- to lower case, and Npgsql resolves result columns case-insensitively.

CREATE TABLE OrleansQuery
(
    QueryKey  varchar(64) NOT NULL,
    QueryText text        NOT NULL,

    CONSTRAINT PK_OrleansQuery PRIMARY KEY (QueryKey)
);
