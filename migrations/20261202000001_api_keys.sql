-- API keys: credentials for shops' backends and tools (claim for a shopper, read, or administer).
-- The secret itself is never stored: only its SHA-256. A key carries at least 128 random bits,
-- so a fast hash is the right one (a slow password hash protects guessable secrets; this one is
-- not guessable, and the lookup runs on every request that presents a key).
CREATE TABLE api_keys (
    id           BIGINT      GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    name         TEXT        NOT NULL CHECK (char_length(name) BETWEEN 1 AND 255),
    -- Any of 'claim', 'read', 'admin' (the server checks the names; the list is never empty).
    scopes       TEXT[]      NOT NULL CHECK (cardinality(scopes) BETWEEN 1 AND 3),
    -- The first characters of the key, shown in lists so a person can tell keys apart.
    prefix       TEXT        NOT NULL,
    secret_hash  BYTEA       NOT NULL UNIQUE CHECK (octet_length(secret_hash) = 32),
    created_at   TIMESTAMPTZ NOT NULL DEFAULT now(),
    created_by   TEXT        NOT NULL,
    -- Written now and then by each server process from its in-memory cache, never per request.
    last_used_at TIMESTAMPTZ,
    -- A revoked key stays listed (who had it, until when) and never works again.
    revoked_at   TIMESTAMPTZ
);
