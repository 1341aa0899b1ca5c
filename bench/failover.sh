#!/usr/bin/env bash
# Failover drill: 3 silo processes behind a gateway process, on a fresh Postgres, under the same
# wrk load as the ingest benchmark. Measures steady 3-silo throughput, then SIGKILLs one silo
# mid-load and reports acknowledged vs stored entries, duplicates, the time until every
# partition has an owner again, and what the clients saw meanwhile.
#
#   bench/failover.sh [--connections 64] [--duration 30] [--kill-after 10]
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
CONNECTIONS=64 DURATION=30 KILL_AFTER=10 SILOS=3
while [ $# -gt 0 ]; do
  case "$1" in
    --connections) CONNECTIONS="$2"; shift 2 ;;
    --duration) DURATION="$2"; shift 2 ;;
    --kill-after) KILL_AFTER="$2"; shift 2 ;;
    *) echo "unknown option $1" >&2; exit 2 ;;
  esac
done

log() { printf '\033[1;34m[failover]\033[0m %s\n' "$*" >&2; }
"$ROOT/argus" ensure-wrk

PG_DATA="$(mktemp -d /tmp/argus-failover-pg.XXXXXX)"
PG_PORT="$("$ROOT/argus" free-port)"
PIDS=()
cleanup() {
  for pid in "${PIDS[@]}"; do kill "$pid" 2>/dev/null || true; done
  for pid in "${PIDS[@]}"; do wait "$pid" 2>/dev/null || true; done
  "$ROOT/argus" pg-stop "$PG_DATA"
  rm -rf "$PG_DATA"
}
trap cleanup EXIT
"$ROOT/argus" pg-start "$PG_DATA" "$PG_PORT" -c max_connections=300 -c shared_buffers=512MB -c max_wal_size=4GB -c checkpoint_timeout=15min >/dev/null
PSQL="$(ls -d /usr/lib/postgresql/*/bin | sort -V | tail -n 1)/psql"
sql() { "$PSQL" -h 127.0.0.1 -p "$PG_PORT" -U argus -d argus_failover -tAc "$1"; }
"$PSQL" -h 127.0.0.1 -p "$PG_PORT" -U argus -d postgres -tAc "CREATE DATABASE argus_failover" >/dev/null

log "building (Release)"
dotnet build "$ROOT/Argus.sln" -c Release -nologo -v quiet -clp:ErrorsOnly >/dev/null
BIN="$ROOT/Gateway/bin/Release/net10.0"
DB="Host=127.0.0.1;Port=$PG_PORT;Username=argus;Database=argus_failover"

SILO_PORTS=() INTERNAL_PORTS=() SEEDS=""
for n in $(seq 1 $SILOS); do
  port="$("$ROOT/argus" free-port)"
  internal="$("$ROOT/argus" free-port)"
  SILO_PORTS+=("$port")
  INTERNAL_PORTS+=("$internal")
  (cd "$BIN" && exec dotnet Argus.Gateway.dll --urls "http://127.0.0.1:$port" --ConnectionStrings:Argus "$DB" \
     --Argus:Silo:SiloId "silo-$n" --Argus:Silo:InternalUrl "http://127.0.0.1:$internal" --Logging:LogLevel:Default Warning >&2) &
  PIDS+=($!)
  SEEDS="${SEEDS:+$SEEDS,}h2c://127.0.0.1:$internal"
done
GATEWAY_PORT="$("$ROOT/argus" free-port)"
(cd "$BIN" && exec dotnet Argus.Gateway.dll --urls "http://127.0.0.1:$GATEWAY_PORT" --Argus:Role gateway \
   --Argus:Cluster:Seeds "$SEEDS" --Logging:LogLevel:Default Warning >&2) &
PIDS+=($!)
GATEWAY="http://127.0.0.1:$GATEWAY_PORT"

# count PATTERN TEXT: occurrences (0 when none, without tripping set -e).
count() { { grep -o "$1" <<<"$2" || true; } | wc -l; }
# The partition map as silo-1 sees it.
partition_map() { curl -sf "http://127.0.0.1:${SILO_PORTS[0]}/internal/v1/partitions" || echo '{"partitionCount":0,"owners":[null]}'; }
# "<owned> <total>" partitions.
ownership() {
  local map total unowned
  map="$(partition_map)"
  total=$(sed -n 's/.*"partitionCount":\([0-9]*\).*/\1/p' <<<"$map")
  unowned=$(count 'null' "$map")
  echo "$(( total - unowned )) $total"
}
for _ in $(seq 1 300); do
  read -r owned total <<<"$(ownership)"
  [ "$owned" = "$total" ] && curl -sf -o /dev/null "$GATEWAY/health" && break
  sleep 0.1
done
log "3 silos and a gateway are up; every partition owned"

field() { sed -n "s/.* $2=\([0-9]*\).*/\1/p" <<<" $1"; }
LUA="$ROOT/bench/wrk/post-entry.lua"

log "steady state: ${DURATION}s at $CONNECTIONS connections through the gateway"
wrk -t2 -c"$CONNECTIONS" -d10s --timeout 10s -s "$LUA" "$GATEWAY" >/dev/null
STEADY=$(wrk -t2 -c"$CONNECTIONS" -d"${DURATION}s" --timeout 10s -s "$LUA" "$GATEWAY" | grep '^RESULT')
BEFORE_DRILL=$(sql "SELECT count(*) FROM audit_logs")

log "drill: ${DURATION}s of load, silo-2 gets SIGKILL after ${KILL_AFTER}s"
wrk -t2 -c"$CONNECTIONS" -d"${DURATION}s" --timeout 10s -s "$LUA" "$GATEWAY" > "$PG_DATA/drill.out" &
WRK=$!
sleep "$KILL_AFTER"
VICTIM="${PIDS[1]}"
read -r owned_before _ <<<"$(ownership)"
kill -9 "$VICTIM"
KILLED_AT=$(date +%s.%N)
REOWNED=""
for _ in $(seq 1 600); do
  # The victim's partitions stay listed under it (or unowned) until a survivor takes them over.
  map="$(partition_map)"
  orphaned=$(( $(count 'null' "$map") + $(count "127.0.0.1:${INTERNAL_PORTS[1]}" "$map") ))
  if [ "$orphaned" = 0 ]; then
    read -r owned total <<<"$(ownership)"
    REOWNED=$(echo "$(date +%s.%N) - $KILLED_AT" | bc)
    break
  fi
  sleep 0.05
done
wait "$WRK" || true
DRILL=$(grep '^RESULT' "$PG_DATA/drill.out")
STORED=$(( $(sql "SELECT count(*) FROM audit_logs") - BEFORE_DRILL ))
DUPLICATES=$(sql "SELECT count(*) - count(DISTINCT id) FROM audit_logs")
GAPS=$(sql "SELECT count(*) FROM argus_partitions p WHERE p.last_seq <> (SELECT count(*) FROM audit_logs a WHERE a.partition_id = p.partition_id)")

echo
echo "Failover drill: $SILOS silos + 1 gateway, $CONNECTIONS connections, $(nproc) cores shared with wrk and Postgres"
awk -v r="$(field "$STEADY" created)" -v d="$(field "$STEADY" duration_us)" -v p50="$(field "$STEADY" p50_us)" -v p99="$(field "$STEADY" p99_us)" \
  'BEGIN { printf "steady 3-silo throughput: %.0f req/s, p50 %.2f ms, p99 %.2f ms\n", r / (d / 1e6), p50 / 1000, p99 / 1000 }'
echo "drill: acknowledged $(field "$DRILL" created), stored $STORED (in flight at stop may add up to $CONNECTIONS), duplicate ids $DUPLICATES, partitions with gaps $GAPS"
echo "drill: client-visible failures: $(field "$DRILL" failed) non-201 responses, $(field "$DRILL" errors) socket errors/timeouts"
echo "drill: owned partitions before kill $owned_before/$total; all owned again ${REOWNED:-never (timed out)} s after SIGKILL"
acked=$(field "$DRILL" created)
[ "$STORED" -ge "$acked" ] && [ "$DUPLICATES" = 0 ] && [ "$GAPS" = 0 ] && [ -n "$REOWNED" ]
