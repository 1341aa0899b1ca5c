-- Argus schema, version 12: where each consumer group of the committed log has read to.
-- The log itself is audit_logs by (partition_id, seq), gap-free per partition; a stream provider's
-- receiver of a partition resumes after its checkpoint here when it starts (on another silo after
-- one died, or after a restart), so a checkpoint is the only state a consumer group keeps.
CREATE TABLE argus_stream_checkpoints (
    provider      text        NOT NULL CHECK (char_length(provider) BETWEEN 1 AND 128),
    partition_id  integer     NOT NULL REFERENCES argus_partitions (partition_id),
    seq           bigint      NOT NULL CHECK (seq >= 0),
    updated_at    timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (provider, partition_id)
);
