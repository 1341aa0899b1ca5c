-- Argus schema, version 3: first-class request-context columns (who emitted the entry, for which
-- tenant, and the HTTP request behind it), their indexes, and argus_append carrying them.

-- All nullable without a default: adding them rewrites no row, and older entries simply have none.
-- The checks repeat what the API accepts (a host address, not a network; an upper-case method
-- token; ...), so that no other writer can store what it would refuse.
ALTER TABLE audit_logs
    ADD COLUMN source       text,
    ADD COLUMN tenant_id    text,
    ADD COLUMN request_id   text,
    ADD COLUMN ip_address   inet        CHECK (masklen(ip_address) = CASE family(ip_address) WHEN 4 THEN 32 ELSE 128 END),
    ADD COLUMN user_agent   text,
    ADD COLUMN http_method  text        CHECK (http_method ~ '^[!#$%&''*+.^_`|~0-9A-Z-]{1,16}$'),
    ADD COLUMN http_path    text        CHECK (left(http_path, 1) = '/'),
    ADD COLUMN http_status  smallint    CHECK (http_status BETWEEN 100 AND 599),
    -- 'NaN' and 'Infinity' compare above every number, so this also refuses them.
    ADD COLUMN latency_ms   double precision CHECK (latency_ms >= 0 AND latency_ms < 'Infinity');

-- The filters that pick out a small share of the log: partial (most entries of a deployment may
-- carry none), and ending in (occurred_at, id) like every other index, so a filtered first page
-- is an index-ordered top-k. http_method and http_path are left to the walk of another index:
-- a handful of methods, and paths that are asked about together with a tenant or a source.
CREATE INDEX audit_logs_tenant      ON audit_logs (tenant_id, occurred_at, id)   WHERE tenant_id IS NOT NULL;
CREATE INDEX audit_logs_source      ON audit_logs (source, occurred_at, id)      WHERE source IS NOT NULL;
CREATE INDEX audit_logs_request     ON audit_logs (request_id, occurred_at, id)  WHERE request_id IS NOT NULL;
CREATE INDEX audit_logs_ip          ON audit_logs (ip_address, occurred_at, id)  WHERE ip_address IS NOT NULL;
CREATE INDEX audit_logs_http_status ON audit_logs (http_status, occurred_at, id) WHERE http_status IS NOT NULL;

-- argus_append with the new columns. Same contract as version 1 (fence, then insert, in one
-- statement). Addresses arrive as text (validated and canonical) and are cast here, so the
-- writer sends plain arrays and builds no address objects per entry.
DROP FUNCTION argus_append(uuid[], uuid[], timestamptz[], text[], text[], text[], text[], text[], text[], text[],
                           jsonb[], jsonb[], jsonb[], timestamptz, integer[], bigint[],
                           integer[], bigint[], bigint[], bigint[]);

CREATE FUNCTION argus_append(
    p_ids uuid[], p_trace_ids uuid[], p_occurred_at timestamptz[], p_event_types text[], p_event_actions text[],
    p_statuses text[], p_actor_types text[], p_actor_ids text[], p_target_types text[], p_target_ids text[],
    p_request_metadata jsonb[], p_response_metadata jsonb[], p_additional_metadata jsonb[],
    p_sources text[], p_tenant_ids text[], p_request_ids text[], p_ip_addresses text[], p_user_agents text[],
    p_http_methods text[], p_http_paths text[], p_http_statuses smallint[], p_latencies_ms double precision[],
    p_created_at timestamptz, p_partitions integer[], p_seqs bigint[],
    f_partitions integer[], f_epochs bigint[], f_expected bigint[], f_last bigint[])
RETURNS void LANGUAGE plpgsql AS $$
BEGIN
    PERFORM argus_fence(f_partitions, f_epochs, f_expected, f_last);
    INSERT INTO audit_logs (id, trace_id, occurred_at, event_type, event_action, status, actor_type, actor_id,
                            target_type, target_id, request_metadata, response_metadata, additional_metadata,
                            source, tenant_id, request_id, ip_address, user_agent, http_method, http_path,
                            http_status, latency_ms, created_at, partition_id, seq)
    SELECT u.id, u.trace_id, u.occurred_at, u.event_type, u.event_action, u.status, u.actor_type, u.actor_id,
           u.target_type, u.target_id, u.request_metadata, u.response_metadata, u.additional_metadata,
           u.source, u.tenant_id, u.request_id, u.ip_address::inet, u.user_agent, u.http_method, u.http_path,
           u.http_status, u.latency_ms, p_created_at, u.partition_id, u.seq
      FROM unnest(p_ids, p_trace_ids, p_occurred_at, p_event_types, p_event_actions, p_statuses, p_actor_types,
                  p_actor_ids, p_target_types, p_target_ids, p_request_metadata, p_response_metadata,
                  p_additional_metadata, p_sources, p_tenant_ids, p_request_ids, p_ip_addresses, p_user_agents,
                  p_http_methods, p_http_paths, p_http_statuses, p_latencies_ms, p_partitions, p_seqs)
        AS u(id, trace_id, occurred_at, event_type, event_action, status, actor_type, actor_id, target_type,
             target_id, request_metadata, response_metadata, additional_metadata, source, tenant_id, request_id,
             ip_address, user_agent, http_method, http_path, http_status, latency_ms, partition_id, seq);
END
$$;
