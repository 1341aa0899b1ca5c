-- Argus schema, version 4: the key that signs page cursors.
-- One per cluster, so a cursor issued by any silo is accepted by every other. The first silo to
-- start stores 32 random bytes (only while none is stored); every silo reads it at start-up.

ALTER TABLE argus_cluster ADD COLUMN cursor_key bytea CHECK (octet_length(cursor_key) = 32);
