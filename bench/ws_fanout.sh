#!/usr/bin/env bash
# Live updates: the time from a REST write's response to the last of 200 WebSocket clients of
# its owner receiving the change, and what pushing costs the write, on the local gateway on
# PostgreSQL. Baselines from the same run: the write with no client and with one client.
# The measuring program is local/examples/ws_fanout.rs.
set -euo pipefail
# shellcheck source=bench/lib.sh
source "$(dirname "$0")/lib.sh"

CLIENTS="${BENCH_WS_CLIENTS:-200}"
ROUNDS="${BENCH_WS_ROUNDS:-30}"

section "Live updates: one change to $CLIENTS WebSocket clients of one owner ($ROUNDS writes per case)"
mkdir -p "$OUT_DIR"

release_build ws-fanout-build "the benchmark" -p local --example ws_fanout

db=""
fresh_database db
# 2 sockets per client in one process, plus the pool: well under the usual 1,024 descriptors.
ulimit -n 4096 2>/dev/null || true
CLIENTS="$CLIENTS" ROUNDS="$ROUNDS" DATABASE_URL="$(database_url "$db")" \
  timeout 300 target/release/examples/ws_fanout 2>"$OUT_DIR/ws-fanout.log" ||
  { tail -n 20 "$OUT_DIR/ws-fanout.log" >&2; die "the fan-out benchmark failed (log: bench/out/ws-fanout.log)"; }
