-- Argus schema, version 13: forwarders' progress and the batches their receivers refused.
-- A forwarder posts each partition's committed entries in sequence order; its position in a
-- partition moves only after the receiver took a batch (or the batch was set aside here), so a
-- forwarder that starts again, on any silo, resumes after the last batch it delivered.
CREATE TABLE argus_forwarder_positions (
    forwarder     text        NOT NULL CHECK (char_length(forwarder) BETWEEN 1 AND 64),
    partition_id  integer     NOT NULL REFERENCES argus_partitions (partition_id),
    seq           bigint      NOT NULL CHECK (seq >= 0),
    delivered_at  timestamptz,
    PRIMARY KEY (forwarder, partition_id)
);

-- Batches a receiver refused with a 4xx after the retry budget: kept whole (the entries as the
-- API writes them) with the reason, until replayed.
CREATE TABLE argus_forwarder_dead_letters (
    id            bigint      GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    forwarder     text        NOT NULL,
    partition_id  integer     NOT NULL,
    first_seq     bigint      NOT NULL,
    last_seq      bigint      NOT NULL,
    entry_count   integer     NOT NULL CHECK (entry_count > 0),
    entries       jsonb       NOT NULL,
    status        integer,
    error         text        NOT NULL,
    attempts      integer     NOT NULL,
    created_at    timestamptz NOT NULL DEFAULT now(),
    replayed_at   timestamptz
);

CREATE INDEX argus_forwarder_dead_letters_pending ON argus_forwarder_dead_letters (forwarder, id) WHERE replayed_at IS NULL;
