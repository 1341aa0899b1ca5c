-- Argus schema, version 8: API keys.
-- A key is shown once, when it is made; only its SHA-256 is stored (keys are 32 random bytes, so a
-- plain hash cannot be reversed by guessing). The prefix is the key's first characters, stored so
-- an operator can tell keys apart in a list; it is not enough to use one. A revoked key keeps its
-- row (revoked_at set), so its name stays taken and the record says when it stopped working.

CREATE TABLE argus_api_keys (
    name        text        PRIMARY KEY CHECK (name ~ '^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$'),
    key_hash    bytea       NOT NULL UNIQUE CHECK (octet_length(key_hash) = 32),
    key_prefix  text        NOT NULL,
    scopes      text[]      NOT NULL CHECK (cardinality(scopes) > 0
                                AND scopes <@ ARRAY['audit:write', 'audit:read', 'audit:admin']::text[]),
    tenant_id   text        CHECK (tenant_id IS NULL OR length(tenant_id) BETWEEN 1 AND 128),
    created_at  timestamptz NOT NULL DEFAULT now(),
    revoked_at  timestamptz
);
