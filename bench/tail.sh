#!/usr/bin/env bash
# Live-tail latency: a single node on its own Postgres, one tail client, writers posting at a fixed
# rate. Prints how long each entry's writer waited for its acknowledgement (the baseline, the
# commit's own latency in the same run) and how long the entry then took to reach the tail client.
#
#   ./argus bench-tail [--rate 500] [--seconds 20]
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
RATE=500 SECONDS_=20
while [ $# -gt 0 ]; do
  case "$1" in
    --rate) RATE="$2"; shift 2 ;;
    --seconds) SECONDS_="$2"; shift 2 ;;
    *) echo "unknown option $1" >&2; exit 2 ;;
  esac
done

log() { printf '\033[1;34m[bench]\033[0m %s\n' "$*" >&2; }

PG_DATA="$(mktemp -d /tmp/argus-bench-pg.XXXXXX)"
PG_PORT="$("$ROOT/argus" free-port)"
APP_PID=""
cleanup() {
  [ -n "$APP_PID" ] && kill "$APP_PID" 2>/dev/null && wait "$APP_PID" 2>/dev/null || true
  "$ROOT/argus" pg-stop "$PG_DATA"
  rm -rf "$PG_DATA"
}
trap cleanup EXIT
"$ROOT/argus" pg-start "$PG_DATA" "$PG_PORT" -c max_connections=200 -c shared_buffers=512MB >/dev/null
PSQL="$(ls -d /usr/lib/postgresql/*/bin | sort -V | tail -n 1)/psql"
"$PSQL" -h 127.0.0.1 -p "$PG_PORT" -U argus -d postgres -tAc "CREATE DATABASE argus_bench" >/dev/null

log "building (Release)"
dotnet build "$ROOT/Argus.sln" -c Release -nologo -v quiet -clp:ErrorsOnly >/dev/null

PORT="$("$ROOT/argus" free-port)"
(cd "$ROOT/Gateway/bin/Release/net10.0" && exec dotnet Argus.Gateway.dll --urls "http://127.0.0.1:$PORT" \
   --ConnectionStrings:Argus "Host=127.0.0.1;Port=$PG_PORT;Username=argus;Database=argus_bench" \
   --Logging:LogLevel:Default Warning >&2) &
APP_PID=$!
for _ in $(seq 1 300); do
  curl -sf -o /dev/null "http://127.0.0.1:$PORT/health" && break
  kill -0 "$APP_PID" 2>/dev/null || { echo "server exited" >&2; exit 1; }
  sleep 0.1
done

log "tail latency at $RATE entries/s for ${SECONDS_}s"
dotnet "$ROOT/bench/Argus.Bench.Tail/bin/Release/net10.0/Argus.Bench.Tail.dll" --url "http://127.0.0.1:$PORT" --rate "$RATE" --seconds "$SECONDS_"
