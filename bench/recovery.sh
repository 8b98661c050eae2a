#!/usr/bin/env bash
# Recovery after a database fault: how long after PostgreSQL (or PgBouncer) accepts connections
# again the first write through the local gateway succeeds, for writers that retry on 503 with
# their Idempotency-Key. The measuring program is the fault tests (local/tests/it/faults.rs):
# each restarts a PostgreSQL server of its own (never the machine's), and prints its figure.
# Rounds: BENCH_RECOVERY_ROUNDS (default 3). Target: the first success within 5 s.
set -euo pipefail
# shellcheck source=bench/lib.sh
source "$(dirname "$0")/lib.sh"

ROUNDS="${BENCH_RECOVERY_ROUNDS:-3}"

section "Recovery after a database fault ($ROUNDS rounds of 3 scenarios, 8 writers each)"
mkdir -p "$OUT_DIR"
log="$OUT_DIR/recovery.log"
: >"$log"
for round in $(seq "$ROUNDS"); do
  # One scenario at a time, so they do not share the 2 cores.
  if ! timeout 300 cargo test --quiet -p local --test it faults::writers -- --nocapture --test-threads=1 >>"$log" 2>&1; then
    tail -n 30 "$log" >&2
    die "the fault tests failed in round $round (log: bench/out/recovery.log)"
  fi
done
python3 - "$log" <<'PY'
import re, statistics, sys
figures = {}
for line in open(sys.argv[1]):
    match = re.search(r"recovery \((.+?)\): first success (\d+) ms .*statuses (\{.*?\})", line)
    if match:
        figures.setdefault(match[1], []).append((int(match[2]), match[3]))
for scenario, runs in figures.items():
    ms = [run[0] for run in runs]
    verdict = "PASS" if max(ms) <= 5000 else "FAIL"
    print(f"{scenario:40} first success after: median {statistics.median(ms):6.0f} ms, "
          f"max {max(ms):5d} ms over {len(ms)} runs  {verdict} (target 5000 ms)")
    print(f"{'':40} statuses of the last run: {runs[-1][1]}")
PY
