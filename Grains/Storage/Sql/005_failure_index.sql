-- Argus schema, version 5.
-- "What failed" is the question auditors ask most, usually of one event type. Failures are a small
-- share of entries, so walking audit_logs_event (or audit_logs_status) for them reads many rows per
-- page, and counting them visits the table for every entry of the type. A partial index over the
-- failures alone serves both: the page is an index-ordered top-k, the count an index-only scan.
-- It costs an index insert only for failed entries.
CREATE INDEX audit_logs_event_failures ON audit_logs (event_type, occurred_at, id)
    WHERE status = 'FAILURE' AND event_type IS NOT NULL;
