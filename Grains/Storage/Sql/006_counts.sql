-- Argus schema, version 6: maintained counts.
-- An exact total of a broad filter ("every failure of DATA_FETCH", "everything since Monday") is
-- otherwise a count of every match: an index-only scan at best, as long as the match set. These
-- tables keep the number of entries per combination of the closed, low-cardinality columns, by
-- hour and over all time, so such a total (and a statistics report) sums a few rows per hour or
-- per combination instead. A trigger keeps them in the same statement as every insert, whoever
-- the writer is, so they are exact whenever audit_logs is.

-- The dimensions are the columns filters and reports group by whose values are few: a deployment
-- has tens of event types, and the rest are closed vocabularies. High-cardinality columns (actors,
-- targets, tenants, traces) would make the tables as large as the log; their filters count the log.
CREATE TABLE audit_counts_hourly (
    hour          timestamptz NOT NULL,
    event_type    text,
    event_action  text,
    status        text        NOT NULL,
    actor_type    text        NOT NULL,
    target_type   text        NOT NULL,
    stripe        smallint    NOT NULL,
    entries       bigint      NOT NULL CHECK (entries > 0),
    CONSTRAINT audit_counts_hourly_key UNIQUE NULLS NOT DISTINCT (hour, event_type, event_action, status, actor_type, target_type, stripe)
) WITH (fillfactor = 70); -- room on each page, so adding to a count is a HOT update that touches no index

CREATE TABLE audit_counts_total (
    event_type    text,
    event_action  text,
    status        text        NOT NULL,
    actor_type    text        NOT NULL,
    target_type   text        NOT NULL,
    stripe        smallint    NOT NULL,
    entries       bigint      NOT NULL CHECK (entries > 0),
    CONSTRAINT audit_counts_total_key UNIQUE NULLS NOT DISTINCT (event_type, event_action, status, actor_type, target_type, stripe)
) WITH (fillfactor = 50);

-- Adds the rows an INSERT (or COPY) stored to their counts, in the writer's stripe. A writer holds
-- the row locks of the counts it adds to until it commits, so writers sharing count rows would
-- commit one after another. Each silo has one writer and names its connections after itself
-- (application_name 'argus-silo:<id>'), so the stripe, a hash of that name, gives each silo count
-- rows of its own: silos never wait for each other unless two names hash alike (1 in 16 per pair).
-- A count is the sum over its stripes. The groups are upserted in key order in both tables, so
-- writers that do share a stripe take their locks in the same order and cannot deadlock.
CREATE FUNCTION argus_count_inserted() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
    writer smallint := abs(hashtext(current_setting('application_name')) % 16);
BEGIN
    INSERT INTO audit_counts_hourly AS c (hour, event_type, event_action, status, actor_type, target_type, stripe, entries)
    SELECT date_trunc('hour', occurred_at, 'UTC'), event_type, event_action, status, actor_type, target_type, writer, count(*)
      FROM inserted
     GROUP BY 1, 2, 3, 4, 5, 6
     ORDER BY 1, 2, 3, 4, 5, 6
    ON CONFLICT ON CONSTRAINT audit_counts_hourly_key DO UPDATE SET entries = c.entries + excluded.entries;

    INSERT INTO audit_counts_total AS c (event_type, event_action, status, actor_type, target_type, stripe, entries)
    SELECT event_type, event_action, status, actor_type, target_type, writer, count(*)
      FROM inserted
     GROUP BY 1, 2, 3, 4, 5
     ORDER BY 1, 2, 3, 4, 5
    ON CONFLICT ON CONSTRAINT audit_counts_total_key DO UPDATE SET entries = c.entries + excluded.entries;
    RETURN NULL;
END
$$;

CREATE TRIGGER audit_logs_counts AFTER INSERT ON audit_logs
    REFERENCING NEW TABLE AS inserted
    FOR EACH STATEMENT EXECUTE FUNCTION argus_count_inserted();

-- Counts every stored entry again, with inserts held off until the caller commits. The migration
-- uses it for the entries stored before it; a bulk load that disables the trigger calls it after.
CREATE FUNCTION argus_recount() RETURNS void LANGUAGE plpgsql AS $$
BEGIN
    LOCK TABLE audit_logs IN SHARE MODE;
    TRUNCATE audit_counts_hourly, audit_counts_total;
    INSERT INTO audit_counts_hourly (hour, event_type, event_action, status, actor_type, target_type, stripe, entries)
    SELECT date_trunc('hour', occurred_at, 'UTC'), event_type, event_action, status, actor_type, target_type, 0, count(*)
      FROM audit_logs
     GROUP BY 1, 2, 3, 4, 5, 6
     ORDER BY 1; -- stored in time order, as the trigger stores them: a range of hours is a range of pages
    INSERT INTO audit_counts_total (event_type, event_action, status, actor_type, target_type, stripe, entries)
    SELECT event_type, event_action, status, actor_type, target_type, 0, sum(entries)
      FROM audit_counts_hourly
     GROUP BY 1, 2, 3, 4, 5;
END
$$;

SELECT argus_recount();
