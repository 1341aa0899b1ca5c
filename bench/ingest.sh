#!/usr/bin/env bash
# Ingest benchmark: Argus (single node) against a naive baseline that runs one INSERT per
# request into the same schema. Both run on the same fresh Postgres (durable settings:
# fsync and synchronous_commit on), are driven by the same wrk load, one after the other,
# and every acknowledgement is checked against the rows stored afterwards.
#
#   ./argus bench [--connections 64] [--duration 20] [--warmup 30]
#
# The warm-up is long because a fresh process on 2 cores under this load spends its first 10-20 s
# compiling and tiering up at 3-4 times its settled CPU per entry (measured for both Argus and
# older builds of it); a shorter warm-up measures the JIT as much as Argus.
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
CONNECTIONS=64 DURATION=20 WARMUP=30
while [ $# -gt 0 ]; do
  case "$1" in
    --connections) CONNECTIONS="$2"; shift 2 ;;
    --duration) DURATION="$2"; shift 2 ;;
    --warmup) WARMUP="$2"; shift 2 ;;
    *) echo "unknown option $1" >&2; exit 2 ;;
  esac
done

log() { printf '\033[1;34m[bench]\033[0m %s\n' "$*" >&2; }

"$ROOT/argus" ensure-wrk

PG_DATA="$(mktemp -d /tmp/argus-bench-pg.XXXXXX)"
PG_PORT="$("$ROOT/argus" free-port)"
APP_PID=""
cleanup() {
  [ -n "$APP_PID" ] && kill "$APP_PID" 2>/dev/null && wait "$APP_PID" 2>/dev/null || true
  "$ROOT/argus" pg-stop "$PG_DATA"
  rm -rf "$PG_DATA"
}
trap cleanup EXIT
# Durable settings (fsync, synchronous_commit, full_page_writes stay on); WAL sized for a write-heavy
# load, as a production audit store would be, so checkpoints do not dominate a 30-second run.
"$ROOT/argus" pg-start "$PG_DATA" "$PG_PORT" -c max_connections=200 -c shared_buffers=512MB -c max_wal_size=4GB -c checkpoint_timeout=15min >/dev/null
PSQL="$(ls -d /usr/lib/postgresql/*/bin | sort -V | tail -n 1)/psql"
sql() { "$PSQL" -h 127.0.0.1 -p "$PG_PORT" -U argus -d "$1" -tAc "$2"; }
sql postgres "CREATE DATABASE argus_bench" >/dev/null
sql postgres "CREATE DATABASE baseline_bench" >/dev/null

log "building (Release)"
dotnet build "$ROOT/Argus.sln" -c Release -nologo -v quiet -clp:ErrorsOnly >/dev/null

wait_http() {
  for _ in $(seq 1 300); do
    curl -sf -o /dev/null "$1" && return 0
    [ -n "$APP_PID" ] && ! kill -0 "$APP_PID" 2>/dev/null && { echo "server exited" >&2; return 1; }
    sleep 0.1
  done
  echo "server did not come up at $1" >&2
  return 1
}

# cpu_ticks PID: user + system clock ticks the process has used so far.
cpu_ticks() { awk '{ print $14 + $15 }' "/proc/$1/stat"; }
# pg_ticks: the same for the Postgres server and every process it has running (backends, WAL writer, ...).
pg_ticks() {
  local pm; pm=$(head -n 1 "$PG_DATA/postmaster.pid")
  # shellcheck disable=SC2046
  cat "/proc/$pm/stat" $(pgrep -P "$pm" | sed 's|.*|/proc/&/stat|') 2>/dev/null | sed 's/.*) //' | awk '{ t += $12 + $13 } END { print t }'
}

# run_system NAME DLL_DIR DLL DATABASE READY_PATH -> prints "req_s p50_ms p99_ms acked stored errors batch cpu_us_per_entry"
run_system() {
  local name="$1" dir="$2" dll="$3" db="$4" ready="$5" port
  port="$("$ROOT/argus" free-port)"
  (cd "$dir" && exec dotnet "$dll" --urls "http://127.0.0.1:$port" \
     --ConnectionStrings:Argus "Host=127.0.0.1;Port=$PG_PORT;Username=argus;Database=$db" \
     --Logging:LogLevel:Default Warning >&2) &
  APP_PID=$!
  wait_http "http://127.0.0.1:$port$ready"
  log "$name: warm-up ${WARMUP}s"
  local warm measured
  warm=$(wrk -t2 -c"$CONNECTIONS" -d"${WARMUP}s" --timeout 10s -s "$ROOT/bench/wrk/post-entry.lua" "http://127.0.0.1:$port" | grep '^RESULT')
  log "$name: measuring ${DURATION}s at $CONNECTIONS connections"
  local cpu_before cpu_after pg_before pg_after
  cpu_before=$(cpu_ticks "$APP_PID"); pg_before=$(pg_ticks)
  measured=$(wrk -t2 -c"$CONNECTIONS" -d"${DURATION}s" --timeout 10s -s "$ROOT/bench/wrk/post-entry.lua" "http://127.0.0.1:$port" | grep '^RESULT')
  cpu_after=$(cpu_ticks "$APP_PID"); pg_after=$(pg_ticks)
  kill "$APP_PID"; wait "$APP_PID" 2>/dev/null || true; APP_PID=""
  local acked stored batch
  acked=$(( $(field "$warm" created) + $(field "$measured" created) ))
  stored=$(sql "$db" "SELECT count(*) FROM audit_logs")
  # Every commit of a batch stamps its rows with one created_at: rows per distinct value = batch size.
  batch=$(sql "$db" "SELECT round(count(*)::numeric / greatest(count(DISTINCT created_at), 1), 1) FROM audit_logs")
  awk -v r="$(field "$measured" requests)" -v d="$(field "$measured" duration_us)" -v c="$(field "$measured" created)" \
      -v p50="$(field "$measured" p50_us)" -v p99="$(field "$measured" p99_us)" \
      -v f="$(field "$measured" failed)" -v e="$(field "$measured" errors)" \
      -v a="$acked" -v s="$stored" -v b="$batch" -v t=$(( cpu_after - cpu_before )) -v pg=$(( pg_after - pg_before )) -v hz="$(getconf CLK_TCK)" \
      'BEGIN { printf "%.0f %.2f %.2f %d %d %d %s %.1f %.1f\n", c / (d / 1e6), p50 / 1000, p99 / 1000, a, s, f + e, b, 1e6 * t / hz / c, 1e6 * pg / hz / c }'
}

field() { sed -n "s/.* $2=\([0-9]*\).*/\1/p" <<<" $1"; }

ARGUS=$(run_system "argus" "$ROOT/Gateway/bin/Release/net10.0" Argus.Gateway.dll argus_bench /health)
BASELINE=$(run_system "baseline" "$ROOT/bench/Argus.Bench.Baseline/bin/Release/net10.0" Argus.Bench.Baseline.dll baseline_bench /health)

read -r a_rps a_p50 a_p99 a_acked a_stored a_err a_batch a_cpu a_pg <<<"$ARGUS"
read -r b_rps b_p50 b_p99 b_acked b_stored b_err b_batch b_cpu b_pg <<<"$BASELINE"
echo
echo "Ingest, single-entry POSTs, $CONNECTIONS connections, ${DURATION}s measured after ${WARMUP}s warm-up, $(nproc) cores shared with wrk and Postgres"
echo "CPU us/entry: microseconds of CPU per acknowledged entry while measuring, of the service's process and of Postgres (all its processes)"
printf '%-10s %10s %9s %9s %10s %10s %8s %10s %10s %10s\n' system "req/s" "p50 ms" "p99 ms" acked stored errors "avg batch" "CPU svc" "CPU pg"
printf '%-10s %10s %9s %9s %10s %10s %8s %10s %10s %10s\n' argus "$a_rps" "$a_p50" "$a_p99" "$a_acked" "$a_stored" "$a_err" "$a_batch" "$a_cpu" "$a_pg"
printf '%-10s %10s %9s %9s %10s %10s %8s %10s %10s %10s\n' baseline "$b_rps" "$b_p50" "$b_p99" "$b_acked" "$b_stored" "$b_err" "$b_batch" "$b_cpu" "$b_pg"
awk -v a="$a_rps" -v b="$b_rps" 'BEGIN { printf "throughput ratio argus/baseline: %.2fx\n", a / b }'
# wrk stops counting at the deadline while up to one request per connection is still in flight
# (two runs: warm-up and measurement), so stored may exceed acked by at most 2 x connections.
durable=yes
for pair in "$a_acked $a_stored" "$b_acked $b_stored"; do
  read -r acked stored <<<"$pair"
  [ "$stored" -ge "$acked" ] && [ "$stored" -le $(( acked + 2 * CONNECTIONS )) ] || durable=no
done
echo "every acknowledged entry stored (acked <= stored <= acked + in flight at stop): $durable"
[ "$durable" = yes ]
