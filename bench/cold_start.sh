#!/usr/bin/env bash
# Cold start: each function's init (process start to its first poll for work) under the
# emulated Lambda Runtime API, beside a hello-world lambda_http binary (bench/hello-lambda)
# measured in the same run, and the first invocation after init (the database connection is
# opened then). Median of RUNS fresh processes per function; target init <= 2x hello-world.
set -euo pipefail
# shellcheck source=bench/lib.sh
source "$(dirname "$0")/lib.sh"

RUNS="${BENCH_COLD_RUNS:-5}"
TARGET_RATIO=2
# Every function, or the ones named in BENCH_COLD_FUNCTIONS (a release build takes minutes each).
read -r -a FUNCTIONS <<<"${BENCH_COLD_FUNCTIONS:-$(function_names | tr '\n' ' ')}"

section "Cold start: init under the emulated Runtime API, $RUNS fresh processes each, beside hello-world"
mkdir -p "$OUT_DIR"
ensure_cargo_lambda
packages=(-p hello-lambda)
for fn in "${FUNCTIONS[@]}"; do packages+=(-p "$fn"); done
say "building: cargo lambda build --release --x86-64 --output-format zip ${packages[*]}"
if ! cargo lambda build --release --x86-64 --output-format zip "${packages[@]}" >"$OUT_DIR/cold-start-build.log" 2>&1; then
  tail -n 20 "$OUT_DIR/cold-start-build.log" >&2
  die "the release build failed (log: bench/out/cold-start-build.log)"
fi

db=""
fresh_database db
apply_migrations "$db"

# median_of FUNCTION: RUNS single-invocation runs, one JSON line with the medians.
median_of() {
  local fn=$1 i
  for ((i = 0; i < RUNS; i++)); do
    python3 "$BENCH_DIR/lambda_runtime.py" --binary "$RELEASE_BIN_DIR/$fn" --function "$fn" \
      --database-url "$(database_url "$db")" --invocations 1 --owner "$BENCH_OWNER" \
      --ok-status 200,201,204,404
  done | python3 -c '
import json, statistics, sys
runs = [json.loads(line) for line in sys.stdin]
median = lambda key: statistics.median(r.get(key) or 0 for r in runs)
print(json.dumps({"function": runs[0]["function"], "init_ms": median("init_ms"),
                  "first_invocation_ms": median("first_invocation_ms"),
                  "errors": sum(r["errors"] for r in runs)}))'
}

results="$OUT_DIR/cold_start.jsonl"
: >"$results"
for fn in hello-lambda "${FUNCTIONS[@]}"; do median_of "$fn" >>"$results"; done
python3 - "$results" "$TARGET_RATIO" "$LAMBDA_ZIP_DIR" <<'PY'
import json, os, sys
rows = [json.loads(line) for line in open(sys.argv[1])]
target, zips = float(sys.argv[2]), sys.argv[3]
hello = rows[0]["init_ms"]
print(f"{'function':<14} {'init ms':>8} {'x hello':>8} {'first request ms':>17} {'zip bytes':>10}  init <= {target:g}x hello")
for r in rows:
    ratio = r["init_ms"] / hello if hello else float("nan")
    zip_path = os.path.join(zips, r["function"], "bootstrap.zip")
    size = os.path.getsize(zip_path) if os.path.exists(zip_path) else 0
    verdict = "" if r["function"] == "hello-lambda" else ("PASS" if ratio <= target else "FAIL")
    print(f"{r['function']:<14} {r['init_ms']:>8.1f} {ratio:>8.2f} {r['first_invocation_ms']:>17.1f} {size:>10}  {verdict}")
print("init = process start to the first poll for work (median); first request includes the database connect")
PY
