#!/usr/bin/env bash
# Compares single-node ingest of this checkout with another revision of Argus: both built in
# Release (the other in a temporary worktree), then run in turns on one fresh Postgres (durable
# settings), each round a fresh database per side, under the same wrk load as ./argus bench.
# Turns alternate so that machine noise falls on both; prints each round and the means.
#
#   bench/compare.sh REV [--rounds 5] [--connections 64] [--duration 20] [--warmup 30]
#
# The warm-up is long for the reason bench/ingest.sh gives: a fresh process spends its first 10-20 s
# here compiling and tiering up, at 3-4 times its settled CPU per entry.
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
[ $# -ge 1 ] || { echo "usage: bench/compare.sh REV [--rounds N] [--connections N] [--duration S] [--warmup S]" >&2; exit 2; }
REV="$1"; shift
ROUNDS=5 CONNECTIONS=64 DURATION=20 WARMUP=30
while [ $# -gt 0 ]; do
  case "$1" in
    --rounds) ROUNDS="$2"; shift 2 ;;
    --connections) CONNECTIONS="$2"; shift 2 ;;
    --duration) DURATION="$2"; shift 2 ;;
    --warmup) WARMUP="$2"; shift 2 ;;
    *) echo "unknown option $1" >&2; exit 2 ;;
  esac
done

log() { printf '\033[1;34m[compare]\033[0m %s\n' "$*" >&2; }
"$ROOT/argus" ensure-wrk

OTHER="$(mktemp -d /tmp/argus-compare.XXXXXX)"
PG_DATA="$(mktemp -d /tmp/argus-compare-pg.XXXXXX)"
PG_PORT="$("$ROOT/argus" free-port)"
APP_PID=""
cleanup() {
  [ -n "$APP_PID" ] && kill "$APP_PID" 2>/dev/null && wait "$APP_PID" 2>/dev/null || true
  "$ROOT/argus" pg-stop "$PG_DATA"
  rm -rf "$PG_DATA"
  git -C "$ROOT" worktree remove --force "$OTHER" 2>/dev/null || rm -rf "$OTHER"
}
trap cleanup EXIT

log "building $REV and this checkout (Release)"
rmdir "$OTHER" && git -C "$ROOT" worktree add -q --detach "$OTHER" "$REV"
dotnet build "$OTHER/Argus.sln" -c Release -nologo -v quiet -clp:ErrorsOnly >/dev/null
dotnet build "$ROOT/Argus.sln" -c Release -nologo -v quiet -clp:ErrorsOnly >/dev/null

"$ROOT/argus" pg-start "$PG_DATA" "$PG_PORT" -c max_connections=200 -c shared_buffers=512MB -c max_wal_size=4GB -c checkpoint_timeout=15min >/dev/null
PSQL="$(ls -d /usr/lib/postgresql/*/bin | sort -V | tail -n 1)/psql"
sql() { "$PSQL" -h 127.0.0.1 -p "$PG_PORT" -U argus -d postgres -tAc "$1" >/dev/null; }

# run_side ROOT -> "req_s cpu_us_per_entry"
run_side() {
  local side="$1" db port result created ticks_before ticks_after
  db="cmp_$RANDOM$RANDOM"
  sql "CREATE DATABASE $db"
  port="$("$ROOT/argus" free-port)"
  (cd "$side/Gateway/bin/Release/net10.0" && exec dotnet Argus.Gateway.dll --urls "http://127.0.0.1:$port" \
     --ConnectionStrings:Argus "Host=127.0.0.1;Port=$PG_PORT;Username=argus;Database=$db" --Logging:LogLevel:Default Warning) >/dev/null 2>&1 &
  APP_PID=$!
  for _ in $(seq 1 600); do curl -sf -o /dev/null "http://127.0.0.1:$port/health" && break; sleep 0.1; done
  wrk -t2 -c"$CONNECTIONS" -d"${WARMUP}s" -s "$ROOT/bench/wrk/post-entry.lua" "http://127.0.0.1:$port" >/dev/null
  ticks_before=$(awk '{ print $14 + $15 }' "/proc/$APP_PID/stat")
  result=$(wrk -t2 -c"$CONNECTIONS" -d"${DURATION}s" -s "$ROOT/bench/wrk/post-entry.lua" "http://127.0.0.1:$port" | grep '^RESULT')
  ticks_after=$(awk '{ print $14 + $15 }' "/proc/$APP_PID/stat")
  kill "$APP_PID"; wait "$APP_PID" 2>/dev/null || true; APP_PID=""
  sql "DROP DATABASE $db"
  created=$(sed -n 's/.* created=\([0-9]*\).*/\1/p' <<<"$result")
  awk -v c="$created" -v d="$DURATION" -v t=$(( ticks_after - ticks_before )) -v hz="$(getconf CLK_TCK)" \
    'BEGIN { printf "%.0f %.1f\n", c / d, 1e6 * t / hz / c }'
}

echo "Ingest, $REV vs this checkout, $CONNECTIONS connections, ${DURATION}s after ${WARMUP}s warm-up, $ROUNDS rounds alternating, $(nproc) cores"
printf '%-6s %14s %14s %16s %16s\n' round "$REV req/s" "this req/s" "$REV us/entry" "this us/entry"
sum_a=0 sum_b=0 cpu_a=0 cpu_b=0
for round in $(seq 1 "$ROUNDS"); do
  read -r a_rps a_cpu <<<"$(run_side "$OTHER")"
  read -r b_rps b_cpu <<<"$(run_side "$ROOT")"
  printf '%-6s %14s %14s %16s %16s\n' "$round" "$a_rps" "$b_rps" "$a_cpu" "$b_cpu"
  sum_a=$(( sum_a + a_rps )); sum_b=$(( sum_b + b_rps ))
  cpu_a=$(awk -v x="$cpu_a" -v y="$a_cpu" 'BEGIN { print x + y }'); cpu_b=$(awk -v x="$cpu_b" -v y="$b_cpu" 'BEGIN { print x + y }')
done
awk -v a="$sum_a" -v b="$sum_b" -v ca="$cpu_a" -v cb="$cpu_b" -v n="$ROUNDS" \
  'BEGIN { printf "mean   %14.0f %14.0f %16.1f %16.1f\nthis checkout vs %s: %+.1f%% throughput, %+.1f%% CPU per entry\n", a/n, b/n, ca/n, cb/n, "'"$REV"'", 100*(b-a)/a, 100*(cb-ca)/ca }'
