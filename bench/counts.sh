#!/usr/bin/env bash
# What the maintained counts cost a writer: pgbench runs the same 30-row INSERT into audit_logs
# (schema from Argus's own migrations) with the counting trigger and without it, first with one
# writer and CPU alone (synchronous_commit off), then with three durable writers, as three silos
# would be: named alike (one stripe of count rows, so they queue on its row locks) and apart.
#
#   ./argus bench-counts [--seconds 8]
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
SECONDS_PER_RUN=8
while [ $# -gt 0 ]; do
  case "$1" in
    --seconds) SECONDS_PER_RUN="$2"; shift 2 ;;
    *) echo "unknown option $1" >&2; exit 2 ;;
  esac
done

PG_DATA="$(mktemp -d /tmp/argus-bench-counts.XXXXXX)"
PG_PORT="$("$ROOT/argus" free-port)"
cleanup() { "$ROOT/argus" pg-stop "$PG_DATA"; rm -rf "$PG_DATA"; }
trap cleanup EXIT
"$ROOT/argus" pg-start "$PG_DATA" "$PG_PORT" -c max_wal_size=4GB >/dev/null
BIN="$(ls -d /usr/lib/postgresql/*/bin | sort -V | tail -n 1)"
sql() { "$BIN/psql" -h 127.0.0.1 -p "$PG_PORT" -U argus -d postgres -v ON_ERROR_STOP=1 -qtAc "$1"; }
for migration in "$ROOT"/Grains/Storage/Sql/*.sql; do
  "$BIN/psql" -h 127.0.0.1 -p "$PG_PORT" -U argus -d postgres -v ON_ERROR_STOP=1 -q -f "$migration" >/dev/null
done
sql "CREATE SEQUENCE bench_seq"

# 30 entries per statement over 8 event types, both statuses and four actor types: ~25 count rows each.
SCRIPT="$PG_DATA/insert.sql"
cat > "$SCRIPT" <<'SQL'
INSERT INTO audit_logs (id, occurred_at, event_type, event_action, status, actor_type, actor_id, target_type, created_at, partition_id, seq)
SELECT gen_random_uuid(), now(), (ARRAY['A', 'B', 'C', 'D', 'E', 'F', 'G', 'H'])[1 + (random() * 7)::int], 'READ',
       CASE WHEN random() < 0.05 THEN 'FAILURE' ELSE 'SUCCESS' END,
       (ARRAY['SERVICE', 'ADMIN', 'MEMBER', 'SYSTEM'])[1 + (random() * 3)::int], 'actor', 'RESOURCE', now(),
       :client_id, nextval('bench_seq')
  FROM generate_series(1, 30);
SQL

# run NAME... : one pgbench client per name, concurrently; prints the summed statements/s and mean latency
run() {
  local outputs=() name
  for name in "$@"; do
    local out="$PG_DATA/out.$name"
    outputs+=("$out")
    PGAPPNAME="$name" "$BIN/pgbench" -h 127.0.0.1 -p "$PG_PORT" -U argus -n -f "$SCRIPT" -c 1 -j 1 -T "$SECONDS_PER_RUN" postgres >"$out" 2>&1 &
  done
  wait
  cat "${outputs[@]}" | awk '/^tps/ { tps += $3 } /latency average/ { lat += $4; n++ } END { printf "%8.0f statements/s, %6.3f ms mean latency\n", tps, lat / n }'
}

printf '%-52s' "1 writer, CPU only (synchronous_commit off), counts:"
sql "ALTER SYSTEM SET synchronous_commit = off"
sql "SELECT pg_reload_conf()" >/dev/null
run argus-silo:a
sql "ALTER TABLE audit_logs DISABLE TRIGGER audit_logs_counts"
printf '%-52s' "1 writer, CPU only (synchronous_commit off), none:"
run argus-silo:a
sql "ALTER TABLE audit_logs ENABLE TRIGGER audit_logs_counts"
sql "ALTER SYSTEM RESET synchronous_commit"
sql "SELECT pg_reload_conf()" >/dev/null
printf '%-52s' "3 durable writers named alike (one stripe):"
run same same same
printf '%-52s' "3 durable writers named apart (own stripes):"
run argus-silo:a argus-silo:b argus-silo:c
sql "ALTER TABLE audit_logs DISABLE TRIGGER audit_logs_counts"
printf '%-52s' "3 durable writers, no counts:"
run argus-silo:a argus-silo:b argus-silo:c
printf 'stripes used: %s\n' "$(sql "SELECT string_agg(DISTINCT stripe::text, ', ') FROM audit_counts_total")"
