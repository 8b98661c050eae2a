#!/usr/bin/env bash
# Every benchmark in one run: deployment sizes, a function's peak memory over 1,000 invocations,
# cold starts, database round trips per route, the local gateway's requests/s beside pgbench,
# live updates to 200 WebSocket clients, the recovery after a database restart, the soak, and
# the browser frontend in Chromium. Prints figures; it is not a test.
# Usage, from the repo root: bench/run.sh     (see bench/README.md)
set -euo pipefail
# shellcheck source=bench/lib.sh
source "$(dirname "$0")/lib.sh"

started=$(date +%s.%N)
commit="$(git rev-parse --short HEAD 2>/dev/null || echo unknown)"
git diff --quiet HEAD 2>/dev/null || commit="$commit + uncommitted changes"
say "goal-tracker benchmarks, $(date -u +%Y-%m-%dT%H:%M:%SZ), commit $commit"

failed=()
for bench in sizes memory cold_start round_trips gateway_rps ws_fanout recovery soak frontend; do
  "$BENCH_DIR/$bench.sh" || failed+=("$bench")
done

python3 "$BENCH_DIR/scale_model.py" "$OUT_DIR" docs/scale.md || failed+=(scale_model)

section "All benchmarks done in $(elapsed_since "$started") s"
if ((${#failed[@]})); then
  say "could not run: ${failed[*]}"
  exit 1
fi
