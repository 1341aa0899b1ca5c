#!/usr/bin/env bash
# Query benchmark: loads N realistic entries (default 10,000,000) into a Postgres of its own, then
# times Argus's read shapes over HTTP (trace lookups, a filtered first page, an offset page, a deep
# cursor page, 24-hour stats) against the same SQL run directly through Npgsql, in the same run.
# The loaded data stays in .argus/bench-query/, so a second run with the same row count skips the load.
#
#   ./argus bench-query [--rows 10000000] [--requests 2000] [--concurrency 4] [--max-seconds 60]
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
ROWS=10000000 REQUESTS=2000 CONCURRENCY=4 MAX_SECONDS=60
while [ $# -gt 0 ]; do
  case "$1" in
    --rows) ROWS="$2"; shift 2 ;;
    --requests) REQUESTS="$2"; shift 2 ;;
    --concurrency) CONCURRENCY="$2"; shift 2 ;;
    --max-seconds) MAX_SECONDS="$2"; shift 2 ;;
    *) echo "unknown option $1" >&2; exit 2 ;;
  esac
done

log() { printf '\033[1;34m[bench-query]\033[0m %s\n' "$*" >&2; }

PG_DATA="$ROOT/.argus/bench-query/pg"
PG_PORT="$("$ROOT/argus" free-port)"
DB=argus_query_bench
APP_PID="" PG_STARTED=""
cleanup() {
  [ -n "$APP_PID" ] && kill "$APP_PID" 2>/dev/null && wait "$APP_PID" 2>/dev/null || true
  [ "$PG_STARTED" = started ] && "$ROOT/argus" pg-stop "$PG_DATA"
  return 0
}
trap cleanup EXIT
# Durable defaults (fsync, synchronous_commit on); memory for a table of several GB and its index builds.
PG_STARTED=$("$ROOT/argus" pg-start "$PG_DATA" "$PG_PORT" -c max_connections=100 -c shared_buffers=2GB -c effective_cache_size=16GB \
  -c maintenance_work_mem=1GB -c max_wal_size=8GB -c checkpoint_timeout=30min)
# A server this data directory already ran keeps the port it was started with.
PG_PORT=$(sed -n 4p "$PG_DATA/postmaster.pid")
PSQL="$(ls -d /usr/lib/postgresql/*/bin | sort -V | tail -n 1)/psql"
sql() { "$PSQL" -h 127.0.0.1 -p "$PG_PORT" -U argus -d "$1" -v ON_ERROR_STOP=1 -qtAc "$2"; }
# Broad exact counts on a cold cache can take longer than the default 30 s command timeout; the
# benchmark times steady state after a warm-up, so its statements (and the node's) may wait longer.
CS="Host=127.0.0.1;Port=$PG_PORT;Username=argus;Database=$DB;Command Timeout=300"

log "building (Release)"
dotnet build "$ROOT/Argus.sln" -c Release -nologo -v quiet -clp:ErrorsOnly >/dev/null
BENCH="$ROOT/bench/Argus.Bench.Query/bin/Release/net10.0/Argus.Bench.Query.dll"
GATEWAY="$ROOT/Gateway/bin/Release/net10.0"

start_argus() {
  local port="$1"
  (cd "$GATEWAY" && exec dotnet Argus.Gateway.dll --urls "http://127.0.0.1:$port" --ConnectionStrings:Argus "$CS" \
     --Logging:LogLevel:Default Warning --Logging:LogLevel:Microsoft.Hosting.Lifetime Warning >&2) &
  APP_PID=$!
  for _ in $(seq 1 6000); do  # a migration on a loaded table may take minutes
    curl -sf -o /dev/null "http://127.0.0.1:$port/health" && return 0
    kill -0 "$APP_PID" 2>/dev/null || { echo "Argus exited" >&2; return 1; }
    sleep 0.1
  done
  echo "Argus did not become healthy on :$port" >&2
  return 1
}

stop_argus() { kill "$APP_PID"; wait "$APP_PID" 2>/dev/null || true; APP_PID=""; }

if sql postgres "SELECT 1 FROM pg_database WHERE datname = '$DB'" | grep -q 1 && dotnet "$BENCH" status --connection "$CS" --rows "$ROWS"; then
  log "reusing the loaded $ROWS rows in $PG_DATA"
else
  log "loading $ROWS rows into a fresh database (an Argus node creates the schema first)"
  sql postgres "DROP DATABASE IF EXISTS $DB WITH (FORCE)"
  sql postgres "CREATE DATABASE $DB"
  start_argus "$("$ROOT/argus" free-port)"
  stop_argus
  dotnet "$BENCH" load --connection "$CS" --rows "$ROWS"
fi

port="$("$ROOT/argus" free-port)"
log "starting Argus (single node) on :$port"
start_argus "$port"
dotnet "$BENCH" measure --connection "$CS" --url "http://127.0.0.1:$port" \
  --requests "$REQUESTS" --concurrency "$CONCURRENCY" --max-seconds "$MAX_SECONDS"
