#!/usr/bin/env bash
# Failover drill: 3 silo processes behind a gateway process (an Orleans client), on a fresh
# Postgres holding the data and the Orleans membership, under the same wrk load as the ingest
# benchmark. Measures steady 3-silo throughput and CPU per entry of each process, then SIGKILLs
# one silo mid-load and reports acknowledged vs stored entries, duplicates, sequence gaps, the
# time until every partition of the killed silo has a new owner, and what the clients saw.
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

SILO_PORTS=()
for n in $(seq 1 $SILOS); do
  http="$("$ROOT/argus" free-port)" silo="$("$ROOT/argus" free-port)" gateway="$("$ROOT/argus" free-port)"
  SILO_PORTS+=("$silo")
  (cd "$BIN" && exec dotnet Argus.Gateway.dll --urls "http://127.0.0.1:$http" --ConnectionStrings:Argus "$DB" \
     --Argus:Silo:Name "silo-$n" --Argus:Silo:Port "$silo" --Argus:Silo:GatewayPort "$gateway" --Logging:LogLevel:Default Warning >&2) &
  PIDS+=($!)
done
GATEWAY_PORT="$("$ROOT/argus" free-port)"
(cd "$BIN" && exec dotnet Argus.Gateway.dll --urls "http://127.0.0.1:$GATEWAY_PORT" --Argus:Role Gateway \
   --ConnectionStrings:Argus "$DB" --Logging:LogLevel:Default Warning >&2) &
PIDS+=($!)
GATEWAY="http://127.0.0.1:$GATEWAY_PORT"

# owned_by PORT: partitions whose owner is an activation on the silo listening on PORT (address 127.0.0.1:PORT@generation).
owned_by() { sql "SELECT count(*) FROM argus_partitions WHERE owner LIKE '127.0.0.1:$1@%'"; }
for _ in $(seq 1 600); do
  total=$(sql "SELECT count(*) FROM argus_partitions" 2>/dev/null || echo 0)
  owned=0
  for port in "${SILO_PORTS[@]}"; do owned=$(( owned + $(owned_by "$port" 2>/dev/null || echo 0) )); done
  [ "$total" -gt 0 ] && [ "$owned" = "$total" ] && curl -sf -o /dev/null "$GATEWAY/health" && break
  sleep 0.1
done
log "$SILOS silos and a gateway are up; every partition owned ($(for p in "${SILO_PORTS[@]}"; do printf '%s ' "$(owned_by "$p")"; done)each)"

field() { sed -n "s/.* $2=\([0-9]*\).*/\1/p" <<<" $1"; }
# cpu_ticks PID: user + system clock ticks the process has used so far.
cpu_ticks() { awk '{ print $14 + $15 }' "/proc/$1/stat"; }
LUA="$ROOT/bench/wrk/post-entry.lua"

log "steady state: ${DURATION}s at $CONNECTIONS connections through the gateway (after 10s of warm-up)"
wrk -t2 -c"$CONNECTIONS" -d10s --timeout 10s -s "$LUA" "$GATEWAY" >/dev/null
CPU_BEFORE=() ; for pid in "${PIDS[@]}"; do CPU_BEFORE+=("$(cpu_ticks "$pid")"); done
STEADY=$(wrk -t2 -c"$CONNECTIONS" -d"${DURATION}s" --timeout 10s -s "$LUA" "$GATEWAY" | grep '^RESULT')
CPU_AFTER=() ; for pid in "${PIDS[@]}"; do CPU_AFTER+=("$(cpu_ticks "$pid")"); done
BEFORE_DRILL=$(sql "SELECT count(*) FROM audit_logs")

log "drill: ${DURATION}s of load, silo-2 gets SIGKILL after ${KILL_AFTER}s"
wrk -t2 -c"$CONNECTIONS" -d"${DURATION}s" --timeout 10s -s "$LUA" "$GATEWAY" > "$PG_DATA/drill.out" &
WRK=$!
sleep "$KILL_AFTER"
VICTIM="${PIDS[1]}" VICTIM_PORT="${SILO_PORTS[1]}"
orphaned_before=$(owned_by "$VICTIM_PORT")
kill -9 "$VICTIM"
KILLED_AT=$(date +%s.%N)
REOWNED=""
for _ in $(seq 1 1200); do
  # The victim's partitions stay recorded under it until a survivor's activation takes each over.
  if [ "$(owned_by "$VICTIM_PORT")" = 0 ]; then
    REOWNED=$(awk -v now="$(date +%s.%N)" -v killed="$KILLED_AT" 'BEGIN { printf "%.2f", now - killed }')
    break
  fi
  sleep 0.05
done
wait "$WRK" || true
DRILL=$(grep '^RESULT' "$PG_DATA/drill.out")
STORED=$(( $(sql "SELECT count(*) FROM audit_logs") - BEFORE_DRILL ))
DUPLICATES=$(sql "SELECT count(*) - count(DISTINCT id) FROM audit_logs")
GAPS=$(sql "SELECT count(*) FROM argus_partitions p WHERE p.last_seq <> (SELECT count(*) FROM audit_logs a WHERE a.partition_id = p.partition_id)")
TOTAL=$(sql "SELECT count(*) FROM argus_partitions")

echo
echo "Failover drill: $SILOS silos + 1 gateway (Orleans client), $CONNECTIONS connections, $(nproc) cores shared with wrk and Postgres"
steady_created=$(field "$STEADY" created)
awk -v r="$steady_created" -v d="$(field "$STEADY" duration_us)" -v p50="$(field "$STEADY" p50_us)" -v p99="$(field "$STEADY" p99_us)" \
  'BEGIN { printf "steady 3-silo throughput: %.0f req/s, p50 %.2f ms, p99 %.2f ms\n", r / (d / 1e6), p50 / 1000, p99 / 1000 }'
hz=$(getconf CLK_TCK)
names=(); for n in $(seq 1 $SILOS); do names+=("silo-$n"); done; names+=("gateway")
for i in "${!PIDS[@]}"; do
  awk -v name="${names[$i]}" -v t=$(( CPU_AFTER[i] - CPU_BEFORE[i] )) -v hz="$hz" -v n="$steady_created" -v d="$DURATION" \
    'BEGIN { printf "  %-8s CPU %.2f s in %ds (%.0f%% of a core), %.1f us per acknowledged entry\n", name, t / hz, d, 100 * t / hz / d, 1e6 * t / hz / n }'
done
echo "drill: acknowledged $(field "$DRILL" created), stored $STORED (in flight at stop may add up to $CONNECTIONS), duplicate ids $DUPLICATES, partitions with gaps $GAPS"
echo "drill: client-visible failures: $(field "$DRILL" failed) non-201 responses, $(field "$DRILL" errors) socket errors/timeouts"
echo "drill: the killed silo owned $orphaned_before of $TOTAL partitions; all owned again ${REOWNED:-never (timed out)} s after SIGKILL"
acked=$(field "$DRILL" created)
[ "$STORED" -ge "$acked" ] && [ "$DUPLICATES" = 0 ] && [ "$GAPS" = 0 ] && [ -n "$REOWNED" ]
