-- Argus schema, version 1.
-- The cluster's fixed settings, the partition fencing rows and the append-only audit log.

CREATE TABLE argus_cluster (
    singleton        boolean     PRIMARY KEY DEFAULT true CHECK (singleton),
    partition_count  integer     NOT NULL CHECK (partition_count BETWEEN 1 AND 4096),
    created_at       timestamptz NOT NULL DEFAULT now()
);

-- One row per partition. A silo that takes ownership bumps epoch; every flush moves last_seq
-- forward with a compare-and-swap on (epoch, last_seq), so a former owner cannot commit.
CREATE TABLE argus_partitions (
    partition_id  integer     PRIMARY KEY,
    epoch         bigint      NOT NULL DEFAULT 0,
    owner         text,
    last_seq      bigint      NOT NULL DEFAULT 0,
    owned_since   timestamptz
);

CREATE TABLE audit_logs (
    id                   uuid        PRIMARY KEY,
    trace_id             uuid,
    occurred_at          timestamptz NOT NULL,
    event_type           text,
    event_action         text        CHECK (event_action IN ('CREATE', 'READ', 'UPDATE', 'DELETE')),
    status               text        NOT NULL CHECK (status IN ('SUCCESS', 'FAILURE')),
    actor_type           text        NOT NULL CHECK (actor_type IN ('SERVICE', 'ADMIN', 'MEMBER', 'SYSTEM')),
    actor_id             text        NOT NULL,
    target_type          text        NOT NULL CHECK (target_type IN ('SERVICE', 'RESOURCE')),
    target_id            text,
    request_metadata     jsonb       CHECK (jsonb_typeof(request_metadata) = 'object'),
    response_metadata    jsonb       CHECK (jsonb_typeof(response_metadata) = 'object'),
    additional_metadata  jsonb       CHECK (jsonb_typeof(additional_metadata) = 'object'),
    created_at           timestamptz NOT NULL,
    partition_id         integer     NOT NULL,
    seq                  bigint      NOT NULL,
    -- A partition's sequence has no forks: two commits can never claim the same position.
    CONSTRAINT audit_logs_partition_seq UNIQUE (partition_id, seq)
);

-- Every read is ordered (occurred_at desc, id desc); each index ends in those columns so a
-- filtered first page is an index-ordered top-k, never a sort of all matches.
CREATE INDEX audit_logs_occurred  ON audit_logs (occurred_at, id);
CREATE INDEX audit_logs_trace     ON audit_logs (trace_id, occurred_at, id) WHERE trace_id IS NOT NULL;
CREATE INDEX audit_logs_event     ON audit_logs (event_type, occurred_at, id) WHERE event_type IS NOT NULL;
CREATE INDEX audit_logs_status    ON audit_logs (status, occurred_at, id);
CREATE INDEX audit_logs_actor     ON audit_logs (actor_id, occurred_at, id);
CREATE INDEX audit_logs_target    ON audit_logs (target_id, occurred_at, id) WHERE target_id IS NOT NULL;

-- Append-only: the database itself refuses to change or remove audit rows.
CREATE FUNCTION argus_refuse_change() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION 'audit_logs is append-only: % is not allowed', TG_OP
        USING ERRCODE = 'insufficient_privilege';
END
$$;

CREATE TRIGGER audit_logs_append_only BEFORE UPDATE OR DELETE ON audit_logs
    FOR EACH ROW EXECUTE FUNCTION argus_refuse_change();
CREATE TRIGGER audit_logs_no_truncate BEFORE TRUNCATE ON audit_logs
    FOR EACH STATEMENT EXECUTE FUNCTION argus_refuse_change();

-- The fence every flush runs in the same statement as its insert: for each partition it
-- moves last_seq from the expected value to the new one, only while the epoch is the
-- flusher's. If any partition does not match, it raises ARF01 and the whole flush rolls back.
CREATE FUNCTION argus_fence(p_partitions integer[], p_epochs bigint[], p_expected bigint[], p_last bigint[])
RETURNS void LANGUAGE plpgsql AS $$
DECLARE
    moved integer;
BEGIN
    UPDATE argus_partitions p
       SET last_seq = f.new_last
      FROM unnest(p_partitions, p_epochs, p_expected, p_last) AS f(partition_id, epoch, expected, new_last)
     WHERE p.partition_id = f.partition_id
       AND p.epoch = f.epoch
       AND p.last_seq = f.expected;
    GET DIAGNOSTICS moved = ROW_COUNT;
    IF moved <> cardinality(p_partitions) THEN
        RAISE EXCEPTION 'partition fence: % of % partitions are no longer at the flusher''s epoch and position',
            cardinality(p_partitions) - moved, cardinality(p_partitions)
            USING ERRCODE = 'ARF01';
    END IF;
END
$$;

-- One flush: fence every partition of the batch, then insert the batch, as ONE statement, so
-- it is atomic by itself (no reliance on how a client groups statements into a transaction)
-- and costs one round trip. A unique violation on audit_logs_pkey means an id is already stored.
CREATE FUNCTION argus_append(
    p_ids uuid[], p_trace_ids uuid[], p_occurred_at timestamptz[], p_event_types text[], p_event_actions text[],
    p_statuses text[], p_actor_types text[], p_actor_ids text[], p_target_types text[], p_target_ids text[],
    p_request_metadata jsonb[], p_response_metadata jsonb[], p_additional_metadata jsonb[], p_created_at timestamptz,
    p_partitions integer[], p_seqs bigint[],
    f_partitions integer[], f_epochs bigint[], f_expected bigint[], f_last bigint[])
RETURNS void LANGUAGE plpgsql AS $$
BEGIN
    PERFORM argus_fence(f_partitions, f_epochs, f_expected, f_last);
    INSERT INTO audit_logs (id, trace_id, occurred_at, event_type, event_action, status, actor_type, actor_id,
                            target_type, target_id, request_metadata, response_metadata, additional_metadata,
                            created_at, partition_id, seq)
    SELECT u.id, u.trace_id, u.occurred_at, u.event_type, u.event_action, u.status, u.actor_type, u.actor_id,
           u.target_type, u.target_id, u.request_metadata, u.response_metadata, u.additional_metadata,
           p_created_at, u.partition_id, u.seq
      FROM unnest(p_ids, p_trace_ids, p_occurred_at, p_event_types, p_event_actions, p_statuses, p_actor_types,
                  p_actor_ids, p_target_types, p_target_ids, p_request_metadata, p_response_metadata,
                  p_additional_metadata, p_partitions, p_seqs)
        AS u(id, trace_id, occurred_at, event_type, event_action, status, actor_type, actor_id, target_type,
             target_id, request_metadata, response_metadata, additional_metadata, partition_id, seq);
END
$$;
