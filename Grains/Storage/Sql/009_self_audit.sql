-- Argus schema, version 9: what Argus records about itself.
-- Who made and who revoked each key (key:NAME, a token's subject, or cli), and whether the audit
-- entry for each of those changes has been appended yet: a key changed while no node ran (by the
-- command line) is recorded by the first node that sees it, and an append that failed is tried
-- again. The entries' ids follow from the key and the change, so nodes racing to record the same
-- change store one entry.
-- The last non-sensitive configuration a node started with, as its SHA-256 and its values, so a
-- node starting with different settings records which ones changed.

ALTER TABLE argus_api_keys
    ADD COLUMN created_by       text,
    ADD COLUMN revoked_by       text,
    ADD COLUMN created_recorded boolean NOT NULL DEFAULT false,
    ADD COLUMN revoked_recorded boolean NOT NULL DEFAULT false;

-- Keys made before this version are not announced after the fact.
UPDATE argus_api_keys SET created_recorded = true, revoked_recorded = true;

CREATE INDEX argus_api_keys_unrecorded ON argus_api_keys (name)
    WHERE NOT created_recorded OR (revoked_at IS NOT NULL AND NOT revoked_recorded);

CREATE TABLE argus_config_snapshots (
    scope       text        PRIMARY KEY,
    hash        bytea       NOT NULL CHECK (octet_length(hash) = 32),
    settings    jsonb       NOT NULL,
    recorded_at timestamptz NOT NULL DEFAULT now()
);
