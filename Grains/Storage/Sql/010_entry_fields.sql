-- Argus schema, version 10: more optional entry fields (what was acted on, for whom, in which
-- session, on which machine, and why it failed), and argus_append carrying them.

-- Plain nullable columns, typed (integers as bigint, the node address as inet), without a default:
-- adding them rewrites no row, and a NULL costs one bit of the row's null bitmap, so entries that
-- carry none of them are stored as before. One jsonb column for the unfiltered ones would repeat
-- its member names in every row, be parsed on every read, and leave its values untyped and unchecked.
-- The checks repeat what the API accepts (lengths in characters; the API counts UTF-16 code units,
-- never fewer than characters, so nothing it accepts is refused here).
ALTER TABLE audit_logs
    ADD COLUMN resource_type   text   CHECK (char_length(resource_type) BETWEEN 1 AND 128),
    ADD COLUMN partner_id      text   CHECK (char_length(partner_id) BETWEEN 1 AND 128),
    ADD COLUMN actor_email     text   CHECK (char_length(actor_email) BETWEEN 1 AND 254),
    ADD COLUMN role            text   CHECK (char_length(role) BETWEEN 1 AND 128),
    ADD COLUMN namespace       text   CHECK (char_length(namespace) BETWEEN 1 AND 253),
    ADD COLUMN event_group     text   CHECK (char_length(event_group) BETWEEN 1 AND 128),
    ADD COLUMN session_id      text   CHECK (char_length(session_id) BETWEEN 1 AND 256),
    ADD COLUMN correlation_id  text   CHECK (char_length(correlation_id) BETWEEN 1 AND 128),
    ADD COLUMN user_id         bigint,
    ADD COLUMN vm_id           text   CHECK (char_length(vm_id) BETWEEN 1 AND 256),
    ADD COLUMN task_id         bigint,
    ADD COLUMN node_ip         inet   CHECK (masklen(node_ip) = CASE family(node_ip) WHEN 4 THEN 32 ELSE 128 END),
    ADD COLUMN worker_id       text   CHECK (char_length(worker_id) BETWEEN 1 AND 256),
    ADD COLUMN error_message   text   CHECK (char_length(error_message) BETWEEN 1 AND 4096);

-- Indexes only for the fields the API filters on (partner, actor e-mail, resource type), partial
-- and ending in (occurred_at, id) like every other, so a filtered first page is an index-ordered
-- top-k. An index is what a column costs on the write path; the other fields are returned, not
-- searched, and get none (one can be added later without touching a row).
CREATE INDEX audit_logs_partner       ON audit_logs (partner_id, occurred_at, id)    WHERE partner_id IS NOT NULL;
CREATE INDEX audit_logs_actor_email   ON audit_logs (actor_email, occurred_at, id)   WHERE actor_email IS NOT NULL;
CREATE INDEX audit_logs_resource_type ON audit_logs (resource_type, occurred_at, id) WHERE resource_type IS NOT NULL;

-- argus_append with the new columns. Same contract as before (fence, then insert, in one
-- statement); the node address arrives as canonical text and is cast here, like ip_address.
-- The maintained counts' trigger reads the inserted rows by column name and needs no change.
DROP FUNCTION argus_append(uuid[], uuid[], timestamptz[], text[], text[], text[], text[], text[], text[], text[],
                           jsonb[], jsonb[], jsonb[],
                           text[], text[], text[], text[], text[], text[], text[], smallint[], double precision[],
                           timestamptz, integer[], bigint[],
                           integer[], bigint[], bigint[], bigint[]);

CREATE FUNCTION argus_append(
    p_ids uuid[], p_trace_ids uuid[], p_occurred_at timestamptz[], p_event_types text[], p_event_actions text[],
    p_statuses text[], p_actor_types text[], p_actor_ids text[], p_target_types text[], p_target_ids text[],
    p_request_metadata jsonb[], p_response_metadata jsonb[], p_additional_metadata jsonb[],
    p_sources text[], p_tenant_ids text[], p_request_ids text[], p_ip_addresses text[], p_user_agents text[],
    p_http_methods text[], p_http_paths text[], p_http_statuses smallint[], p_latencies_ms double precision[],
    p_resource_types text[], p_partner_ids text[], p_actor_emails text[], p_roles text[], p_namespaces text[],
    p_event_groups text[], p_session_ids text[], p_correlation_ids text[], p_user_ids bigint[], p_vm_ids text[],
    p_task_ids bigint[], p_node_ips text[], p_worker_ids text[], p_error_messages text[],
    p_created_at timestamptz, p_partitions integer[], p_seqs bigint[],
    f_partitions integer[], f_epochs bigint[], f_expected bigint[], f_last bigint[])
RETURNS void LANGUAGE plpgsql AS $$
BEGIN
    PERFORM argus_fence(f_partitions, f_epochs, f_expected, f_last);
    INSERT INTO audit_logs (id, trace_id, occurred_at, event_type, event_action, status, actor_type, actor_id,
                            target_type, target_id, request_metadata, response_metadata, additional_metadata,
                            source, tenant_id, request_id, ip_address, user_agent, http_method, http_path,
                            http_status, latency_ms,
                            resource_type, partner_id, actor_email, role, namespace, event_group, session_id,
                            correlation_id, user_id, vm_id, task_id, node_ip, worker_id, error_message,
                            created_at, partition_id, seq)
    SELECT u.id, u.trace_id, u.occurred_at, u.event_type, u.event_action, u.status, u.actor_type, u.actor_id,
           u.target_type, u.target_id, u.request_metadata, u.response_metadata, u.additional_metadata,
           u.source, u.tenant_id, u.request_id, u.ip_address::inet, u.user_agent, u.http_method, u.http_path,
           u.http_status, u.latency_ms,
           u.resource_type, u.partner_id, u.actor_email, u.role, u.namespace, u.event_group, u.session_id,
           u.correlation_id, u.user_id, u.vm_id, u.task_id, u.node_ip::inet, u.worker_id, u.error_message,
           p_created_at, u.partition_id, u.seq
      FROM unnest(p_ids, p_trace_ids, p_occurred_at, p_event_types, p_event_actions, p_statuses, p_actor_types,
                  p_actor_ids, p_target_types, p_target_ids, p_request_metadata, p_response_metadata,
                  p_additional_metadata, p_sources, p_tenant_ids, p_request_ids, p_ip_addresses, p_user_agents,
                  p_http_methods, p_http_paths, p_http_statuses, p_latencies_ms,
                  p_resource_types, p_partner_ids, p_actor_emails, p_roles, p_namespaces, p_event_groups,
                  p_session_ids, p_correlation_ids, p_user_ids, p_vm_ids, p_task_ids, p_node_ips, p_worker_ids,
                  p_error_messages, p_partitions, p_seqs)
        AS u(id, trace_id, occurred_at, event_type, event_action, status, actor_type, actor_id, target_type,
             target_id, request_metadata, response_metadata, additional_metadata, source, tenant_id, request_id,
             ip_address, user_agent, http_method, http_path, http_status, latency_ms,
             resource_type, partner_id, actor_email, role, namespace, event_group, session_id, correlation_id,
             user_id, vm_id, task_id, node_ip, worker_id, error_message, partition_id, seq);
END
$$;
