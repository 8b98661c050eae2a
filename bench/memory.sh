#!/usr/bin/env bash
# Peak memory: the release create-goal and list-goals binaries (the ones in the deployment zips),
# each serving 1,000 invocations through an emulated Lambda Runtime API against a fresh
# PostgreSQL database, against the target "peak RSS under 30 MB".
set -euo pipefail
# shellcheck source=bench/lib.sh
source "$(dirname "$0")/lib.sh"

INVOCATIONS="${BENCH_INVOCATIONS:-1000}"
RSS_LIMIT_MIB=30 # MB as Lambda counts memory: 1 MB = 1024 x 1024 bytes
# create-goal first, so list-goals then pages through the goals it made (50 per page).
FUNCTIONS=(create-goal list-goals)

section "Peak memory: $INVOCATIONS invocations per function through an emulated Lambda Runtime API"
missing=0
for fn in "${FUNCTIONS[@]}"; do [ -x "$RELEASE_BIN_DIR/$fn" ] || missing=1; done
if ((missing)); then say "building the functions first"; build_functions >/dev/null; fi

db=""
fresh_database db
apply_migrations "$db"
say "database $db on $PGHOST:$PGPORT (migrations/postgres applied with psql)"

printf '%-12s %-24s %6s %6s %8s %9s %8s %10s  %s\n' \
  function event invocs errors "wall s" "invocs/s" "init ms" "peak MiB" "peak < $RSS_LIMIT_MIB MiB"
for fn in "${FUNCTIONS[@]}"; do
  result=$(python3 "$BENCH_DIR/lambda_runtime.py" --binary "$RELEASE_BIN_DIR/$fn" --function "$fn" \
    --database-url "$(database_url "$db")" --invocations "$INVOCATIONS" --owner "$BENCH_OWNER")
  python3 - "$result" "$RSS_LIMIT_MIB" <<'EOF'
import json, sys
r, limit = json.loads(sys.argv[1]), float(sys.argv[2])
peak = r["peak_rss_kib"] / 1024 if r["peak_rss_kib"] else None
wall = r.get("wall_s") or 0
rate = f"{r['invocations'] / wall:.0f}" if wall else "n/a"
verdict = "PASS" if peak is not None and peak < limit and r["errors"] == 0 else "FAIL"
print(f"{r['function']:<12} {r['event']:<24} {r['invocations']:>6} {r['errors']:>6} {wall:>8.2f} "
      f"{rate:>9} {r.get('init_ms', 0):>8.1f} {(f'{peak:.1f}' if peak else 'n/a'):>10}  {verdict}")
for problem in r["first_errors"]:
    print(f"    ! {problem}")
EOF
done
say "peak = VmHWM of the function's process after the last invocation; every response must be 200/201"
