#!/usr/bin/env bash
# Requests per second of the local gateway on PostgreSQL (GET /goals with 20 goals listed, and
# POST /goals) at 16 concurrent connections, beside pgbench running the store's own SQL for
# those requests at the same concurrency, in the same run; and the ratio gateway / pgbench.
# Beside them the floor gateway (bench/floor-gateway): the same SQL behind an HTTP server doing
# nothing else, the most any gateway reaches on this machine, so the ratio has a ceiling.
set -euo pipefail
# shellcheck source=bench/lib.sh
source "$(dirname "$0")/lib.sh"

CONNECTIONS=16
THREADS=2
SECONDS_PER_LOAD="${BENCH_LOAD_SECONDS:-10}"
# Shorter loads are mostly ramp-up and noise on 2 shared cores.
[ "$SECONDS_PER_LOAD" -ge 8 ] || die "BENCH_LOAD_SECONDS must be at least 8 (got $SECONDS_PER_LOAD)"
# Each load is preceded by an unmeasured one of this length: connections opened, caches warm.
WARMUP_SECONDS=2
SEED_GOALS=20
# The gateway's pool matches the load's connections, as pgbench opens one per client.
GATEWAY_DB_CONNECTIONS="${BENCH_GATEWAY_DB_CONNECTIONS:-$CONNECTIONS}"
LOAD_TIMEOUT=$((SECONDS_PER_LOAD + 50)) # a hung load is stopped, never waited on forever

section "Local gateway on PostgreSQL: requests/s at $CONNECTIONS connections, beside pgbench"
mkdir -p "$OUT_DIR"

release_build local-build "the local gateway and the floor gateway" -p local -p floor-gateway

db=""
fresh_database db
# The binary itself, not `cargo run`: its process is the gateway, whose CPU time is read below.
# GATEWAY_BIN=<another build> compares that one under the same loads.
GATEWAY_BIN="${GATEWAY_BIN:-target/release/local}" start_gateway "$db" local-gateway DB_MAX_CONNECTIONS="$GATEWAY_DB_CONNECTIONS"
base=$GATEWAY_URL key=$GATEWAY_KEY
for i in $(seq "$SEED_GOALS"); do
  status=$(curl -s -o /dev/null -w '%{http_code}' --max-time 5 -X POST "$base/goals" -H "X-API-Key: $key" \
    -H 'Content-Type: application/json' -d "{\"name\":\"Seed goal $i\"}")
  [ "$status" = 201 ] || die "seeding: POST /goals answered $status"
done
listed=$(curl -sf --max-time 5 -H "X-API-Key: $key" "$base/goals" | python3 -c 'import json, sys; print(len(json.load(sys.stdin)["goals"]))')
[ "$listed" = "$SEED_GOALS" ] || die "GET /goals lists $listed goals, expected $SEED_GOALS"
say "seeded $SEED_GOALS goals; GET /goals lists $listed"

# The pgbench scripts' variables, for pgbench and the floor gateway alike. -M simple writes the
# values into the text: quoted here, as the store quotes them.
SCRIPT_VARIABLES=(-D owner="'$BENCH_OWNER'" -D name="'Benchmark goal'")

# The floor gateway, on the same database and connections' count, with the same scripts.
floor_port=$(free_port)
floor_url="http://127.0.0.1:$floor_port"
env FLOOR_ADDR="127.0.0.1:$floor_port" DATABASE_URL="$(database_url "$db")" \
  DB_MAX_CONNECTIONS="$GATEWAY_DB_CONNECTIONS" setsid target/release/floor-gateway "${SCRIPT_VARIABLES[@]}" \
  >"$OUT_DIR/floor-gateway.log" 2>&1 &
FLOOR_PID=$!
on_exit "stop_group $FLOOR_PID"
wait_for_200 "$floor_url/goals" 30 "$FLOOR_PID" || die "the floor gateway did not answer (log: bench/out/floor-gateway.log)"

# The load average just before a load, kept beside its output (bench/out/load-NAME.txt).
note_load() { cut -d' ' -f1-3 /proc/loadavg | tee "$OUT_DIR/load-$1.txt"; }
# CPU time (user + system, in clock ticks) so far of the gateway under load ($LOADED_PID), and
# of every PostgreSQL process (with its exited children: pgbench's backends end with it, and
# count in the postmaster's).
LOADED_PID=$GATEWAY_PID
gateway_ticks() { awk '{ print $14 + $15 }' "/proc/$LOADED_PID/stat"; }
postgres_ticks() {
  local pid
  for pid in $(pgrep -u postgres postgres); do cat "/proc/$pid/stat" 2>/dev/null || true; done |
    awk '{ n += $14 + $15 + $16 + $17 } END { print n + 0 }'
}
# cpu_during NAME COMMAND…: runs the command, then writes the CPU ticks the gateway and
# PostgreSQL used meanwhile to bench/out/cpu-NAME.txt ("gateway postgres").
cpu_during() {
  local name=$1 gateway_before postgres_before
  shift
  gateway_before=$(gateway_ticks) postgres_before=$(postgres_ticks)
  "$@"
  echo "$(($(gateway_ticks) - gateway_before)) $(($(postgres_ticks) - postgres_before))" >"$OUT_DIR/cpu-$name.txt"
}
# wrk NAME [wrk args…]: a warm-up, then one bounded load; the output goes to bench/out/wrk-NAME.txt.
run_wrk() {
  local name=$1; shift
  wrk -c "$CONNECTIONS" -t "$THREADS" -d "${WARMUP_SECONDS}s" -H "X-API-Key: $key" "$@" >/dev/null
  say "    load average $(note_load "wrk-$name")"
  cpu_during "wrk-$name" timeout "$LOAD_TIMEOUT" wrk -c "$CONNECTIONS" -t "$THREADS" -d "${SECONDS_PER_LOAD}s" \
    -H "X-API-Key: $key" "$@" >"$OUT_DIR/wrk-$name.txt"
}
# pgbench NAME SCRIPT: the same, with the store's SQL; the output goes to bench/out/pgbench-NAME.txt.
run_pgbench() {
  local args=(-n -M simple -c "$CONNECTIONS" -j "$THREADS" "${SCRIPT_VARIABLES[@]}"
    -f "$BENCH_DIR/pgbench/$2" "$db")
  pgbench -T "$WARMUP_SECONDS" "${args[@]}" >/dev/null 2>&1
  say "    load average $(note_load "pgbench-$1")"
  cpu_during "pgbench-$1" timeout "$LOAD_TIMEOUT" pgbench -T "$SECONDS_PER_LOAD" "${args[@]}" \
    >"$OUT_DIR/pgbench-$1.txt" 2>&1
}
wrk_rps() { awk '/^Requests\/sec:/ { print $2 }' "$OUT_DIR/wrk-$1.txt"; }
# Responses that were not 2xx/3xx, plus socket errors.
wrk_failures() {
  awk '/Non-2xx or 3xx responses:/ { n += $NF }
       /Socket errors:/ { gsub(",", ""); n += $4 + $6 + $8 + $10 }
       END { print n + 0 }' "$OUT_DIR/wrk-$1.txt"
}
pgbench_tps() { awk '/^tps = / { print $3; exit }' "$OUT_DIR/pgbench-$1.txt"; }
pgbench_failures() { awk '/number of failed transactions:/ { print $5 }' "$OUT_DIR/pgbench-$1.txt"; }
wrk_requests() { awk '/ requests in / { print $1 }' "$OUT_DIR/wrk-$1.txt"; }
pgbench_transactions() { awk '/number of transactions actually processed:/ { print $6 }' "$OUT_DIR/pgbench-$1.txt"; }
# cpu_per_request NAME COLUMN REQUESTS: microseconds of CPU per request from bench/out/cpu-NAME.txt
# (column 1 the gateway, 2 PostgreSQL).
CLOCK_TICKS=$(getconf CLK_TCK)
cpu_per_request() {
  awk -v col="$2" -v n="${3:-0}" -v hz="$CLOCK_TICKS" \
    '{ printf "%.0f", (n > 0 ? $col * 1e6 / hz / n : 0) }' "$OUT_DIR/cpu-$1.txt"
}

say "load (each after a ${WARMUP_SECONDS} s warm-up): wrk -c $CONNECTIONS -t $THREADS -d ${SECONDS_PER_LOAD}s | pgbench -n -M simple -c $CONNECTIONS -j $THREADS -T $SECONDS_PER_LOAD"
# Every read before any write, so each GET lists the same 20 goals.
say "  GET /goals …";  LOADED_PID=$GATEWAY_PID run_wrk list "$base/goals"
say "  pgbench list_goals.sql …"; run_pgbench list list_goals.sql
say "  floor gateway, GET /goals …"; LOADED_PID=$FLOOR_PID run_wrk floor-list "$floor_url/goals"
say "  POST /goals …"; LOADED_PID=$GATEWAY_PID run_wrk create -s "$BENCH_DIR/wrk/create_goal.lua" "$base/goals"
say "  pgbench create_goal.sql …"; run_pgbench create create_goal.sql
say "  floor gateway, POST /goals …"
LOADED_PID=$FLOOR_PID run_wrk floor-create -s "$BENCH_DIR/wrk/create_goal.lua" "$floor_url/goals"

load_label() { case $1 in list) echo "GET /goals" ;; create) echo "POST /goals" ;; esac; }

printf '\n%-12s %12s %7s %12s %7s %16s %8s %5s %10s %14s\n' load "gateway r/s" failed "pgbench tps" \
  failed "gateway/pgbench" target "" "floor r/s" "floor/pgbench"
json="{"
for load in list create; do
  label=$(load_label "$load")
  case $load in list) target=0.6 ;; create) target=0.7 ;; esac
  rps=$(wrk_rps "$load") tps=$(pgbench_tps "$load") floor=$(wrk_rps "floor-$load")
  share=$(ratio "$rps" "$tps") floor_share=$(ratio "$floor" "$tps")
  verdict=$(python3 -c "import sys; print('PASS' if sys.argv[1] != 'n/a' and float(sys.argv[1]) >= float(sys.argv[2]) else 'FAIL')" "$share" "$target")
  printf '%-12s %12.1f %7s %12.1f %7s %16s %8s %5s %10.1f %14s\n' "$label" "${rps:-0}" "$(wrk_failures "$load")" \
    "${tps:-0}" "$(pgbench_failures "$load")" "$share" ">= $target" "$verdict" "${floor:-0}" "$floor_share"
  [ "$(wrk_failures "floor-$load")" = 0 ] || die "the floor gateway failed requests (bench/out/wrk-floor-$load.txt)"
  json+="\"$load\": {\"gateway_rps\": ${rps:-0}, \"pgbench_tps\": ${tps:-0}, \"floor_rps\": ${floor:-0}, \"connections\": $CONNECTIONS, \"seconds\": $SECONDS_PER_LOAD, \"load_average\": {\"gateway\": \"$(cat "$OUT_DIR/load-wrk-$load.txt")\", \"pgbench\": \"$(cat "$OUT_DIR/load-pgbench-$load.txt")\", \"floor\": \"$(cat "$OUT_DIR/load-wrk-floor-$load.txt")\"}},"
done
say "ratio = the gateway's requests/s over PostgreSQL's transactions/s for the same SQL at the same concurrency"
say "floor = bench/floor-gateway: the same statements behind an HTTP server that does nothing else"

# Where the time goes: on these shared cores the ratio is bounded by the CPU each request costs.
printf '\n%-12s %22s %22s %22s %22s\n' "CPU µs per" "gateway, per request" "PostgreSQL, same run" \
  "PostgreSQL, pgbench" "floor, per request"
for load in list create; do
  label=$(load_label "$load")
  requests=$(wrk_requests "$load") transactions=$(pgbench_transactions "$load")
  gateway_cpu=$(cpu_per_request "wrk-$load" 1 "$requests")
  postgres_cpu=$(cpu_per_request "wrk-$load" 2 "$requests")
  pgbench_postgres_cpu=$(cpu_per_request "pgbench-$load" 2 "$transactions")
  floor_cpu=$(cpu_per_request "wrk-floor-$load" 1 "$(wrk_requests "floor-$load")")
  printf '%-12s %22s %22s %22s %22s\n' "$label" "$gateway_cpu" "$postgres_cpu" "$pgbench_postgres_cpu" "$floor_cpu"
  json+="\"${load}_cpu_us\": {\"gateway\": $gateway_cpu, \"postgres\": $postgres_cpu, \"postgres_under_pgbench\": $pgbench_postgres_cpu, \"floor\": $floor_cpu},"
done
printf '%s\n' "${json%,}}" >"$OUT_DIR/gateway_rps.json"
say "CPU = user + system time of the gateway's (or the floor's) process, and of all PostgreSQL processes, during each load"
say "raw outputs: bench/out/wrk-*.txt, bench/out/pgbench-*.txt, bench/out/gateway_rps.json"
