#!/usr/bin/env bash
# Cold start: each function's init (process start to its first poll for work) under the
# emulated Lambda Runtime API, beside a hello-world lambda_http binary (bench/hello-lambda)
# measured in the same rounds, and the first invocation after init (the database connection is
# opened then). Median of RUNS rounds; in each round every binary starts once, one after the
# other, so a burst of load on the machine weighs on all of them alike. Target init <= 2x
# hello-world. Each round also runs the AWS path: list-goals reading its database from an RDS secret in
# moto_server (DB_SECRET_ARN), as in AWS.
set -euo pipefail
# shellcheck source=bench/lib.sh
source "$(dirname "$0")/lib.sh"

RUNS="${BENCH_COLD_RUNS:-5}"
TARGET_RATIO=2
# Every function, or the ones named in BENCH_COLD_FUNCTIONS.
read -r -a FUNCTIONS <<<"${BENCH_COLD_FUNCTIONS:-$(function_names | tr '\n' ' ')}"
# The functions template.yaml gives a WS_ENDPOINT: they push goal changes.
PUSHING_FUNCTIONS=" create-goal update-goal delete-goal "
# Never reached: no connection is open, so nothing is pushed; only the init sees the variable.
BENCH_WS_ENDPOINT="https://bench.execute-api.eu-west-1.amazonaws.com/v1"

section "Cold start: init under the emulated Runtime API, $RUNS rounds, beside hello-world"
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
# migrate's first request applies every migration: an empty database for each of its runs.
migrate_dbs=()
for ((i = 0; i < RUNS; i++)); do
  fresh_database empty
  migrate_dbs+=("$empty")
done

# The event each function is started with, and the answers that count as success: functions
# with non-HTTP events answer with their own JSON (`any`: anything but a function error).
event_of() {
  case $1 in
    authorizer) echo events/authorizer-http-x-api-key.json ;; # a key nobody issued: one lookup
    ws-default) echo events/ws-default-sync.json ;;           # sync reads the owner's goals
    *) [ -f "events/$1.json" ] && echo "events/$1.json" || echo "" ;;
  esac
}
ok_status_of() {
  case $1 in
    authorizer | api-keys | migrate) echo any ;;
    *) echo 200,201,204,404 ;;
  esac
}

# run_once FUNCTION DATABASE_URL [VAR=VALUE...]: one fresh process, one invocation, one JSON line.
run_once() {
  local fn=$1 url=$2 event
  shift 2
  event=$(event_of "$fn")
  env "$@" python3 "$BENCH_DIR/lambda_runtime.py" --binary "$RELEASE_BIN_DIR/$fn" --function "$fn" \
    ${url:+--database-url "$url"} ${event:+--event "$event"} --invocations 1 \
    --owner "$BENCH_OWNER" --ok-status "$(ok_status_of "$fn")"
}

# --- the AWS path: DB_SECRET_ARN, the secret in moto_server; list-goals runs so in every round
ensure_moto
moto_port=$(free_port)
setsid "$VENV/bin/moto_server" -H 127.0.0.1 -p "$moto_port" >"$OUT_DIR/cold-start-moto.log" 2>&1 &
moto_pid=$!
on_exit "stop_group $moto_pid"
moto="http://127.0.0.1:$moto_port"
for _ in $(seq 100); do curl -s -o /dev/null "$moto" && break; sleep 0.1; done
aws_env=(AWS_ENDPOINT_URL="$moto" AWS_ACCESS_KEY_ID=testing AWS_SECRET_ACCESS_KEY=testing
  AWS_SESSION_TOKEN=testing)
# The secret as RDS writes it; its host is never reached: DB_HOST stands for the RDS Proxy
# endpoint, as template.yaml sets it.
secret_arn=$(env "${aws_env[@]}" "$VENV/bin/python" - "$db" "$PGUSER" <<'PY'
import json, sys, uuid, boto3
client = boto3.client("secretsmanager", region_name="eu-west-1")
secret = {"engine": "postgres", "username": sys.argv[2], "password": "unused-with-trust-auth",
          "host": "db-instance.unreachable.invalid", "port": 5432, "dbname": sys.argv[1]}
print(client.create_secret(Name=f"goal-tracker/db/{uuid.uuid4()}",
                           SecretString=json.dumps(secret))["ARN"])
PY
)
# with_config CONFIG: tags each JSON line with where the function read its database from.
with_config() {
  python3 -c 'import json, sys
for line in sys.stdin:
    r = json.loads(line); r["config"] = sys.argv[1]; print(json.dumps(r))' "$1"
}

# DB_SSL_MODE=disable: the secret path verifies TLS by default (verify-full, to RDS Proxy's
# certificate), which the machine's PostgreSQL cannot pass; in AWS the first request adds a TLS
# handshake.
aws_path=("${aws_env[@]}" DB_SECRET_ARN="$secret_arn" DB_HOST="$PGHOST" DB_SSL_MODE=disable)
raw="$OUT_DIR/cold_start_runs.jsonl"
: >"$raw"
for ((i = 0; i < RUNS; i++)); do
  for fn in hello-lambda "${FUNCTIONS[@]}"; do
    url=$(database_url "$db")
    extra=()
    [ "$fn" = migrate ] && url=$(database_url "${migrate_dbs[i]}")
    [[ "$PUSHING_FUNCTIONS" == *" $fn "* ]] && extra+=("WS_ENDPOINT=$BENCH_WS_ENDPOINT")
    run_once "$fn" "$url" "${extra[@]}" | with_config DATABASE_URL >>"$raw"
  done
  run_once list-goals "" "${aws_path[@]}" | with_config DB_SECRET_ARN >>"$raw"
done

results="$OUT_DIR/cold_start.jsonl"
python3 - "$raw" "$results" "$TARGET_RATIO" "$LAMBDA_ZIP_DIR" <<'PY'
import json, os, statistics, sys
raw, out, target, zips = sys.argv[1], sys.argv[2], float(sys.argv[3]), sys.argv[4]
groups = {}
for line in open(raw):
    r = json.loads(line)
    groups.setdefault((r["function"], r["config"]), []).append(r)
rows = []
for (function, config), runs in groups.items():
    median = lambda key: statistics.median(r.get(key) or 0 for r in runs)
    rows.append({"function": function, "config": config, "init_ms": median("init_ms"),
                 "first_invocation_ms": median("first_invocation_ms"),
                 "errors": sum(r["errors"] for r in runs),
                 "first_errors": [e for r in runs for e in r["first_errors"]][:2]})
with open(out, "w") as f:
    for r in rows:
        f.write(json.dumps(r) + "\n")
hello = rows[0]["init_ms"]
print(f"{'function':<14} {'database from':<14} {'init ms':>8} {'x hello':>8} {'first request ms':>17} "
      f"{'zip bytes':>10} {'errors':>6}  init <= {target:g}x hello")
for r in rows:
    ratio = r["init_ms"] / hello if hello else float("nan")
    zip_path = os.path.join(zips, r["function"], "bootstrap.zip")
    size = os.path.getsize(zip_path) if os.path.exists(zip_path) else 0
    verdict = "" if r["function"] == "hello-lambda" else ("PASS" if ratio <= target else "FAIL")
    print(f"{r['function']:<14} {r['config']:<14} {r['init_ms']:>8.1f} {ratio:>8.2f} "
          f"{r['first_invocation_ms']:>17.1f} {size:>10} {r['errors']:>6}  {verdict}")
    for error in r["first_errors"]:
        print(f"    {error[:200]}")
print("init = process start to the first poll for work (median); first request includes the database connect")
print("(migrate's first request applies every migration to an empty database; DB_SECRET_ARN's init includes")
print(" reading the secret from moto_server)")
PY
