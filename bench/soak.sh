#!/usr/bin/env bash
# Load held: the local gateway on PostgreSQL (a fresh database), as its own process, under 32
# concurrent HTTP clients for 60 s of mixed operations (create, list, get, rename, complete,
# delete) with 200 WebSocket clients attached over 4 owners. Prints requests, errors (must be 0),
# p50/p99 latency, the gateway's RSS at the start and the end (flat memory), and the WebSocket
# deliveries (every client gets every change of its owner: expected vs received).
# The load program is local/examples/soak.rs. Debug build by default (BENCH_SOAK_PROFILE=release
# for the release one: minutes to build on 2 cores); the profile is printed with the figures.
set -euo pipefail
# shellcheck source=bench/lib.sh
source "$(dirname "$0")/lib.sh"

CLIENTS="${BENCH_SOAK_CLIENTS:-32}"
SOAK_SECONDS="${BENCH_SOAK_SECONDS:-60}"
WS_CLIENTS="${BENCH_SOAK_WS_CLIENTS:-200}"
OWNERS="${BENCH_SOAK_OWNERS:-4}"
PROFILE="${BENCH_SOAK_PROFILE:-debug}"
# The gateway's pool: one connection per HTTP client, as in gateway_rps.sh.
POOL="${BENCH_SOAK_DB_CONNECTIONS:-$CLIENTS}"

section "Soak: $CLIENTS HTTP clients for $SOAK_SECONDS s, $WS_CLIENTS WebSocket clients over $OWNERS owners ($PROFILE build)"
mkdir -p "$OUT_DIR"

case "$PROFILE" in
  debug) cargo_profile=() ;;
  release) cargo_profile=(--release) ;;
  *) die "BENCH_SOAK_PROFILE is debug or release, not $PROFILE" ;;
esac
say "building: cargo build ${cargo_profile[*]} -p local --bin local --example soak"
started=$(date +%s.%N)
if ! cargo build "${cargo_profile[@]}" -p local --bin local --example soak >"$OUT_DIR/soak-build.log" 2>&1; then
  tail -n 20 "$OUT_DIR/soak-build.log" >&2
  die "the soak does not build (log: bench/out/soak-build.log)"
fi
say "build wall time: $(elapsed_since "$started") s"

db=""
fresh_database db
# The gateway binary itself, not `cargo run`: its process is the one whose RSS is read.
GATEWAY_BIN="target/$PROFILE/local" start_gateway "$db" soak-gateway DB_MAX_CONNECTIONS="$POOL"
# One socket per WebSocket client on each side, plus the HTTP clients and the pool.
ulimit -n 4096 2>/dev/null || true
GATEWAY="${GATEWAY_URL#http://}" GATEWAY_PID="$GATEWAY_PID" DATABASE_URL="$(database_url "$db")" \
  CLIENTS="$CLIENTS" SOAK_SECONDS="$SOAK_SECONDS" WS_CLIENTS="$WS_CLIENTS" OWNERS="$OWNERS" \
  timeout $((SOAK_SECONDS + 120)) "target/$PROFILE/examples/soak" 2>"$OUT_DIR/soak.log" ||
  { tail -n 20 "$OUT_DIR/soak.log" >&2; die "the soak failed (log: bench/out/soak.log, gateway: bench/out/soak-gateway.log)"; }
