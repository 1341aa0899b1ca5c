-- Argus schema, version 11: the maintained counts gain the resource type.
-- Resource types are a deployment's vocabulary of kinds of things acted on (tens, like event
-- types), and statistics break entries down by them, so they join the counted dimensions: a
-- breakdown by resource type, and a total of a resource-type filter, sum a few rows per hour
-- instead of counting the entries. A NULL resource type is a value of its own, as it is for event
-- types (UNIQUE NULLS NOT DISTINCT).

ALTER TABLE audit_counts_hourly ADD COLUMN resource_type text;
ALTER TABLE audit_counts_total  ADD COLUMN resource_type text;

ALTER TABLE audit_counts_hourly DROP CONSTRAINT audit_counts_hourly_key,
    ADD CONSTRAINT audit_counts_hourly_key
        UNIQUE NULLS NOT DISTINCT (hour, event_type, event_action, status, actor_type, target_type, resource_type, stripe);
ALTER TABLE audit_counts_total DROP CONSTRAINT audit_counts_total_key,
    ADD CONSTRAINT audit_counts_total_key
        UNIQUE NULLS NOT DISTINCT (event_type, event_action, status, actor_type, target_type, resource_type, stripe);

-- The trigger function of version 6 with the new dimension; same striping and lock order.
CREATE OR REPLACE FUNCTION argus_count_inserted() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
    writer smallint := abs(hashtext(current_setting('application_name')) % 16);
BEGIN
    INSERT INTO audit_counts_hourly AS c (hour, event_type, event_action, status, actor_type, target_type, resource_type, stripe, entries)
    SELECT date_trunc('hour', occurred_at, 'UTC'), event_type, event_action, status, actor_type, target_type, resource_type, writer, count(*)
      FROM inserted
     GROUP BY 1, 2, 3, 4, 5, 6, 7
     ORDER BY 1, 2, 3, 4, 5, 6, 7
    ON CONFLICT ON CONSTRAINT audit_counts_hourly_key DO UPDATE SET entries = c.entries + excluded.entries;

    INSERT INTO audit_counts_total AS c (event_type, event_action, status, actor_type, target_type, resource_type, stripe, entries)
    SELECT event_type, event_action, status, actor_type, target_type, resource_type, writer, count(*)
      FROM inserted
     GROUP BY 1, 2, 3, 4, 5, 6
     ORDER BY 1, 2, 3, 4, 5, 6
    ON CONFLICT ON CONSTRAINT audit_counts_total_key DO UPDATE SET entries = c.entries + excluded.entries;
    RETURN NULL;
END
$$;

CREATE OR REPLACE FUNCTION argus_recount() RETURNS void LANGUAGE plpgsql AS $$
BEGIN
    LOCK TABLE audit_logs IN SHARE MODE;
    TRUNCATE audit_counts_hourly, audit_counts_total;
    INSERT INTO audit_counts_hourly (hour, event_type, event_action, status, actor_type, target_type, resource_type, stripe, entries)
    SELECT date_trunc('hour', occurred_at, 'UTC'), event_type, event_action, status, actor_type, target_type, resource_type, 0, count(*)
      FROM audit_logs
     GROUP BY 1, 2, 3, 4, 5, 6, 7
     ORDER BY 1;
    INSERT INTO audit_counts_total (event_type, event_action, status, actor_type, target_type, resource_type, stripe, entries)
    SELECT event_type, event_action, status, actor_type, target_type, resource_type, 0, sum(entries)
      FROM audit_counts_hourly
     GROUP BY 1, 2, 3, 4, 5, 6;
END
$$;

-- Entries stored since version 10 may carry a resource type the counts do not yet know.
SELECT argus_recount();
