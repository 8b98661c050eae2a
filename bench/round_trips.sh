#!/usr/bin/env bash
# The database round trips of each REST route: the local gateway on a fresh PostgreSQL
# database, through a counting proxy (bench/round_trips.py) that reads the wire protocol.
set -euo pipefail
# shellcheck source=bench/lib.sh
source "$(dirname "$0")/lib.sh"

section "Database round trips per REST route (counting proxy between the gateway and PostgreSQL)"
mkdir -p "$OUT_DIR"
# Round trips do not depend on the build profile: the debug build is the quick one.
say "building: cargo build -p local"
if ! cargo build -p local >"$OUT_DIR/round-trips-build.log" 2>&1; then
  tail -n 20 "$OUT_DIR/round-trips-build.log" >&2
  die "the local gateway does not build (log: bench/out/round-trips-build.log)"
fi
db=""
fresh_database db
say "database $db; python3 bench/round_trips.py"
# sslmode=disable: the proxy reads the plain protocol.
timeout 300 python3 "$BENCH_DIR/round_trips.py" "$REPO_ROOT/target/debug/local" \
  "$(database_url "$db")?sslmode=disable" "$OUT_DIR/round_trips.json"
