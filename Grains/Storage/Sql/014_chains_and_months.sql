-- Argus schema, version 14: tamper evidence and time partitions.
--
-- * Every entry stores prev_hash and hash: hash is SHA-256 over the entry's canonical encoding
--   (docs/integrity.md), which covers every stored field, the partition, the sequence number and
--   prev_hash, the hash of the partition's previous entry. The writer computes them inside the
--   fenced commit; argus_partitions.head_hash is the hash of the partition's last entry, moved by
--   the fence together with last_seq, so a new owner continues the chain where the last one left it.
-- * audit_logs is partitioned by month of occurred_at (the entry's timestamp), so that retention
--   drops whole months instead of deleting rows. Postgres cannot enforce a unique id across
--   partitions, so audit_ids (id -> occurred_at) holds the ids: filled by a trigger whoever the
--   writer is, it keeps ids unique and finds an entry by id in one month.
-- * Signed checkpoints (argus_checkpoints) vouch for each partition's head, and for the entries a
--   retention run removed.
--
-- The existing rows are copied into the partitioned table by the migrator, which computes their
-- chains on the way (the step marked below), so no row is ever updated.

-- The log as it was: its rows are copied and it is dropped at the end.
DROP TRIGGER audit_logs_counts ON audit_logs;
ALTER TABLE audit_logs RENAME TO audit_logs_v13;
ALTER TABLE audit_logs_v13 RENAME CONSTRAINT audit_logs_pkey TO audit_logs_v13_pkey;
ALTER TABLE audit_logs_v13 RENAME CONSTRAINT audit_logs_partition_seq TO audit_logs_v13_partition_seq;
DROP INDEX audit_logs_occurred, audit_logs_trace, audit_logs_event, audit_logs_status, audit_logs_actor, audit_logs_target,
    audit_logs_event_failures, audit_logs_tenant, audit_logs_source, audit_logs_request, audit_logs_ip, audit_logs_http_status,
    audit_logs_partner, audit_logs_actor_email, audit_logs_resource_type;

-- Same columns, NOT NULLs and checks; the chain's columns (NULL only in rows another writer
-- inserted, which verification reports).
CREATE TABLE audit_logs (LIKE audit_logs_v13 INCLUDING CONSTRAINTS) PARTITION BY RANGE (occurred_at);
ALTER TABLE audit_logs
    ADD COLUMN prev_hash bytea CHECK (octet_length(prev_hash) = 32),
    ADD COLUMN hash      bytea CHECK (octet_length(hash) = 32);

-- Each month is a partition named audit_logs_yYYYYmMM holding [first instant of the month, first
-- instant of the next) in UTC, made ahead of time by maintenance and by the writer for an entry of
-- a month that has none. A month is made as a table of its own and then attached: ATTACH takes a
-- lock on audit_logs that lets inserts and reads go on (CREATE TABLE ... PARTITION OF would wait
-- for every running query, a long verification say, and hold up every insert behind it).
-- TRUNCATE is refused per partition (a statement trigger on the parent does not fire for a
-- partition truncated by name).
CREATE FUNCTION argus_month_partition(p_month date) RETURNS text LANGUAGE sql IMMUTABLE AS $$
    SELECT 'audit_logs_y' || to_char(p_month, 'YYYY') || 'm' || to_char(p_month, 'MM')
$$;

-- p_from and p_to are bounds as SQL: a quoted literal, MINVALUE or MAXVALUE.
CREATE FUNCTION argus_attach_month(p_name text, p_from text, p_to text) RETURNS void LANGUAGE plpgsql AS $$
BEGIN
    EXECUTE format('CREATE TABLE %I (LIKE audit_logs INCLUDING CONSTRAINTS)', p_name);
    EXECUTE format('ALTER TABLE audit_logs ATTACH PARTITION %I FOR VALUES FROM (%s) TO (%s)', p_name, p_from, p_to);
    EXECUTE format('CREATE TRIGGER audit_logs_no_truncate BEFORE TRUNCATE ON %I FOR EACH STATEMENT EXECUTE FUNCTION argus_refuse_change()', p_name);
END
$$;

CREATE FUNCTION argus_ensure_months(p_from timestamptz, p_to timestamptz) RETURNS integer LANGUAGE plpgsql AS $$
DECLARE
    month   date;
    last    date;
    name    text;
    created integer := 0;
BEGIN
    IF p_from > p_to THEN
        RETURN 0;
    END IF;
    -- Creators (silos, maintenance) take turns, so two never race for the same month.
    PERFORM pg_advisory_xact_lock(1095911253, -2);
    -- The infinities (and nothing else) lie beyond years 1 and 9999, in two partitions of their own.
    IF p_from = '-infinity' AND to_regclass('audit_logs_before') IS NULL THEN
        PERFORM argus_attach_month('audit_logs_before', 'MINVALUE', quote_literal('0001-01-01 00:00:00+00'));
        created := created + 1;
    END IF;
    IF p_to = 'infinity' AND to_regclass('audit_logs_after') IS NULL THEN
        PERFORM argus_attach_month('audit_logs_after', quote_literal('10000-01-01 00:00:00+00'), 'MAXVALUE');
        created := created + 1;
    END IF;
    month := date_trunc('month', greatest(p_from, '0001-01-01 00:00:00+00') AT TIME ZONE 'UTC')::date;
    last := date_trunc('month', least(p_to, '9999-12-31 23:59:59+00') AT TIME ZONE 'UTC')::date;
    WHILE month <= last LOOP
        name := argus_month_partition(month);
        IF to_regclass(name) IS NULL THEN
            PERFORM argus_attach_month(name, quote_literal(month::timestamp AT TIME ZONE 'UTC'),
                                       quote_literal((month + interval '1 month')::timestamp AT TIME ZONE 'UTC'));
            created := created + 1;
        END IF;
        month := month + interval '1 month';
    END LOOP;
    RETURN created;
END
$$;

SELECT argus_ensure_months(least(min(occurred_at), now()), greatest(max(occurred_at), now() + interval '3 months'))
  FROM audit_logs_v13;

ALTER TABLE argus_partitions ADD COLUMN head_hash bytea CHECK (octet_length(head_hash) = 32);

--@step copy-with-chains

DROP TABLE audit_logs_v13;

-- The ids, unique across months, and where each entry lies.
CREATE TABLE audit_ids (
    id           uuid        PRIMARY KEY,
    occurred_at  timestamptz NOT NULL
);
INSERT INTO audit_ids (id, occurred_at) SELECT id, occurred_at FROM audit_logs;

-- The indexes of version 13, now one per month each, plus the chain's order (stream reads and
-- verification walk a partition by sequence number).
CREATE INDEX audit_logs_occurred       ON audit_logs (occurred_at, id);
CREATE INDEX audit_logs_chain          ON audit_logs (partition_id, seq);
CREATE INDEX audit_logs_trace          ON audit_logs (trace_id, occurred_at, id)       WHERE trace_id IS NOT NULL;
CREATE INDEX audit_logs_event          ON audit_logs (event_type, occurred_at, id)     WHERE event_type IS NOT NULL;
CREATE INDEX audit_logs_status         ON audit_logs (status, occurred_at, id);
CREATE INDEX audit_logs_actor          ON audit_logs (actor_id, occurred_at, id);
CREATE INDEX audit_logs_target         ON audit_logs (target_id, occurred_at, id)      WHERE target_id IS NOT NULL;
CREATE INDEX audit_logs_event_failures ON audit_logs (event_type, occurred_at, id)     WHERE status = 'FAILURE' AND event_type IS NOT NULL;
CREATE INDEX audit_logs_tenant         ON audit_logs (tenant_id, occurred_at, id)      WHERE tenant_id IS NOT NULL;
CREATE INDEX audit_logs_source         ON audit_logs (source, occurred_at, id)         WHERE source IS NOT NULL;
CREATE INDEX audit_logs_request        ON audit_logs (request_id, occurred_at, id)     WHERE request_id IS NOT NULL;
CREATE INDEX audit_logs_ip             ON audit_logs (ip_address, occurred_at, id)     WHERE ip_address IS NOT NULL;
CREATE INDEX audit_logs_http_status    ON audit_logs (http_status, occurred_at, id)    WHERE http_status IS NOT NULL;
CREATE INDEX audit_logs_partner        ON audit_logs (partner_id, occurred_at, id)     WHERE partner_id IS NOT NULL;
CREATE INDEX audit_logs_actor_email    ON audit_logs (actor_email, occurred_at, id)    WHERE actor_email IS NOT NULL;
CREATE INDEX audit_logs_resource_type  ON audit_logs (resource_type, occurred_at, id)  WHERE resource_type IS NOT NULL;

-- Append-only, as before: rows of every month refuse UPDATE and DELETE; TRUNCATE is refused on the
-- parent here and on each month by argus_ensure_months.
CREATE TRIGGER audit_logs_append_only BEFORE UPDATE OR DELETE ON audit_logs
    FOR EACH ROW EXECUTE FUNCTION argus_refuse_change();
CREATE TRIGGER audit_logs_no_truncate BEFORE TRUNCATE ON audit_logs
    FOR EACH STATEMENT EXECUTE FUNCTION argus_refuse_change();
CREATE TRIGGER audit_logs_counts AFTER INSERT ON audit_logs
    REFERENCING NEW TABLE AS inserted
    FOR EACH STATEMENT EXECUTE FUNCTION argus_count_inserted();

-- Records every inserted id, whoever the writer: a second entry with a stored id fails on
-- audit_ids_pkey and nothing of its statement is stored.
CREATE FUNCTION argus_record_ids() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    INSERT INTO audit_ids (id, occurred_at) SELECT id, occurred_at FROM inserted;
    RETURN NULL;
END
$$;

CREATE TRIGGER audit_logs_ids AFTER INSERT ON audit_logs
    REFERENCING NEW TABLE AS inserted
    FOR EACH STATEMENT EXECUTE FUNCTION argus_record_ids();

-- Ids are never changed; retention deletes those of the months it drops.
CREATE TRIGGER audit_ids_no_update BEFORE UPDATE ON audit_ids
    FOR EACH ROW EXECUTE FUNCTION argus_refuse_change();

-- The fence, now moving each partition's head hash with its position.
DROP FUNCTION argus_append(uuid[], uuid[], timestamptz[], text[], text[], text[], text[], text[], text[], text[],
                           jsonb[], jsonb[], jsonb[],
                           text[], text[], text[], text[], text[], text[], text[], smallint[], double precision[],
                           text[], text[], text[], text[], text[], text[], text[], text[], bigint[], text[],
                           bigint[], text[], text[], text[],
                           timestamptz, integer[], bigint[],
                           integer[], bigint[], bigint[], bigint[]);
DROP FUNCTION argus_fence(integer[], bigint[], bigint[], bigint[]);

CREATE FUNCTION argus_fence(p_partitions integer[], p_epochs bigint[], p_expected bigint[], p_last bigint[], p_heads bytea[])
RETURNS void LANGUAGE plpgsql AS $$
DECLARE
    moved integer;
BEGIN
    UPDATE argus_partitions p
       SET last_seq = f.new_last, head_hash = f.head
      FROM unnest(p_partitions, p_epochs, p_expected, p_last, p_heads) AS f(partition_id, epoch, expected, new_last, head)
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

CREATE FUNCTION argus_append(
    p_ids uuid[], p_trace_ids uuid[], p_occurred_at timestamptz[], p_event_types text[], p_event_actions text[],
    p_statuses text[], p_actor_types text[], p_actor_ids text[], p_target_types text[], p_target_ids text[],
    p_request_metadata jsonb[], p_response_metadata jsonb[], p_additional_metadata jsonb[],
    p_sources text[], p_tenant_ids text[], p_request_ids text[], p_ip_addresses text[], p_user_agents text[],
    p_http_methods text[], p_http_paths text[], p_http_statuses smallint[], p_latencies_ms double precision[],
    p_resource_types text[], p_partner_ids text[], p_actor_emails text[], p_roles text[], p_namespaces text[],
    p_event_groups text[], p_session_ids text[], p_correlation_ids text[], p_user_ids bigint[], p_vm_ids text[],
    p_task_ids bigint[], p_node_ips text[], p_worker_ids text[], p_error_messages text[],
    p_created_at timestamptz, p_partitions integer[], p_seqs bigint[], p_prev_hashes bytea[], p_hashes bytea[],
    f_partitions integer[], f_epochs bigint[], f_expected bigint[], f_last bigint[], f_heads bytea[])
RETURNS void LANGUAGE plpgsql AS $$
BEGIN
    PERFORM argus_fence(f_partitions, f_epochs, f_expected, f_last, f_heads);
    INSERT INTO audit_logs (id, trace_id, occurred_at, event_type, event_action, status, actor_type, actor_id,
                            target_type, target_id, request_metadata, response_metadata, additional_metadata,
                            source, tenant_id, request_id, ip_address, user_agent, http_method, http_path,
                            http_status, latency_ms,
                            resource_type, partner_id, actor_email, role, namespace, event_group, session_id,
                            correlation_id, user_id, vm_id, task_id, node_ip, worker_id, error_message,
                            created_at, partition_id, seq, prev_hash, hash)
    SELECT u.id, u.trace_id, u.occurred_at, u.event_type, u.event_action, u.status, u.actor_type, u.actor_id,
           u.target_type, u.target_id, u.request_metadata, u.response_metadata, u.additional_metadata,
           u.source, u.tenant_id, u.request_id, u.ip_address::inet, u.user_agent, u.http_method, u.http_path,
           u.http_status, u.latency_ms,
           u.resource_type, u.partner_id, u.actor_email, u.role, u.namespace, u.event_group, u.session_id,
           u.correlation_id, u.user_id, u.vm_id, u.task_id, u.node_ip::inet, u.worker_id, u.error_message,
           p_created_at, u.partition_id, u.seq, u.prev_hash, u.hash
      FROM unnest(p_ids, p_trace_ids, p_occurred_at, p_event_types, p_event_actions, p_statuses, p_actor_types,
                  p_actor_ids, p_target_types, p_target_ids, p_request_metadata, p_response_metadata,
                  p_additional_metadata, p_sources, p_tenant_ids, p_request_ids, p_ip_addresses, p_user_agents,
                  p_http_methods, p_http_paths, p_http_statuses, p_latencies_ms,
                  p_resource_types, p_partner_ids, p_actor_emails, p_roles, p_namespaces, p_event_groups,
                  p_session_ids, p_correlation_ids, p_user_ids, p_vm_ids, p_task_ids, p_node_ips, p_worker_ids,
                  p_error_messages, p_partitions, p_seqs, p_prev_hashes, p_hashes)
        AS u(id, trace_id, occurred_at, event_type, event_action, status, actor_type, actor_id, target_type,
             target_id, request_metadata, response_metadata, additional_metadata, source, tenant_id, request_id,
             ip_address, user_agent, http_method, http_path, http_status, latency_ms,
             resource_type, partner_id, actor_email, role, namespace, event_group, session_id, correlation_id,
             user_id, vm_id, task_id, node_ip, worker_id, error_message, partition_id, seq, prev_hash, hash);
END
$$;

-- Signed statements about the log, made by Argus with a key kept outside the database:
-- 'heads' (each partition's last sequence number and hash at a moment) and 'retention' (the
-- entries a retention run removed, as runs of sequence numbers with the hash of each run's last
-- entry). body is the exact UTF-8 JSON that was signed, kept as text so its bytes survive.
CREATE TABLE argus_checkpoints (
    id          bigint      GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    kind        text        NOT NULL CHECK (kind IN ('heads', 'retention')),
    created_at  timestamptz NOT NULL DEFAULT now(),
    body        text        NOT NULL,
    key_id      text        NOT NULL,
    signature   bytea       NOT NULL
);

CREATE TRIGGER argus_checkpoints_append_only BEFORE UPDATE OR DELETE ON argus_checkpoints
    FOR EACH ROW EXECUTE FUNCTION argus_refuse_change();
CREATE TRIGGER argus_checkpoints_no_truncate BEFORE TRUNCATE ON argus_checkpoints
    FOR EACH STATEMENT EXECUTE FUNCTION argus_refuse_change();
