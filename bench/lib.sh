# Shared helpers for the bench/ scripts: source it, don't run it.
# It moves to the repo root, sets the PostgreSQL defaults, and gives every script one cleanup
# list run on exit, whatever the exit.
# shellcheck shell=bash disable=SC2034 # the settings are used by the scripts that source this

BENCH_DIR="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
REPO_ROOT="$(cd "$BENCH_DIR/.." && pwd)"
cd "$REPO_ROOT" || exit 1

# cargo-lambda comes from PyPI, pinned, into the repo's venv.
CARGO_LAMBDA_VERSION="1.9.2"
VENV="$REPO_ROOT/.tools/venv"
# Where `cargo lambda build --x86-64` leaves its binaries and zips (the workspace's target/).
LAMBDA_TARGET="x86_64-unknown-linux-gnu"
RELEASE_BIN_DIR="$REPO_ROOT/target/$LAMBDA_TARGET/release"
LAMBDA_ZIP_DIR="$REPO_ROOT/target/lambda"
# Logs and raw load-tool outputs (gitignored).
OUT_DIR="$BENCH_DIR/out"

# The machine's PostgreSQL: user postgres, trust auth. Override with the usual PG* variables.
export PGHOST="${PGHOST:-127.0.0.1}" PGPORT="${PGPORT:-5432}" PGUSER="${PGUSER:-postgres}"

# The owner every benchmark request is made as.
BENCH_OWNER="bench"

say() { printf '%s\n' "$*"; }
# A heading, with the machine's load: other work on these 2 cores skews every figure.
section() { printf '\n=== %s\n(load average %s, %s cores)\n' "$*" "$(cut -d' ' -f1-3 /proc/loadavg)" "$(nproc)"; }
die() { printf 'bench: %s\n' "$*" >&2; exit 1; }

# --- cleanup: commands run in reverse order on exit -------------------------------------------
CLEANUPS=()
on_exit() { CLEANUPS+=("$1"); }
run_cleanups() {
  local i
  for ((i = ${#CLEANUPS[@]} - 1; i >= 0; i--)); do eval "${CLEANUPS[i]}" || true; done
  CLEANUPS=()
}
trap run_cleanups EXIT
trap 'exit 130' INT TERM

# Stops a process group started with `setsid`: TERM, then KILL after 5 s.
stop_group() {
  local pid=$1
  kill -0 "$pid" 2>/dev/null || return 0
  kill -TERM -- "-$pid" 2>/dev/null || kill -TERM "$pid" 2>/dev/null || true
  for _ in $(seq 50); do kill -0 "$pid" 2>/dev/null || return 0; sleep 0.1; done
  kill -KILL -- "-$pid" 2>/dev/null || kill -KILL "$pid" 2>/dev/null || true
}

# --- tools --------------------------------------------------------------------------------------
# Puts the pinned cargo-lambda (and its ziglang) on PATH, installing it into the venv if needed.
ensure_cargo_lambda() {
  [ -x "$VENV/bin/python" ] || python3 -m venv "$VENV"
  local installed
  installed=$("$VENV/bin/python" -c 'import importlib.metadata as m; print(m.version("cargo-lambda"))' 2>/dev/null || true)
  if [ "$installed" != "$CARGO_LAMBDA_VERSION" ]; then
    say "installing cargo-lambda==$CARGO_LAMBDA_VERSION into .tools/venv (pip)" >&2
    "$VENV/bin/pip" install --quiet --disable-pip-version-check "cargo-lambda==$CARGO_LAMBDA_VERSION" >&2
  fi
  export PATH="$VENV/bin:$PATH"
}

# Puts moto_server (a local AWS endpoint) into the venv, at the version the tests pin.
ensure_moto() {
  [ -x "$VENV/bin/moto_server" ] && return 0
  [ -x "$VENV/bin/python" ] || python3 -m venv "$VENV"
  say "installing $(grep '^moto' scripts/requirements-test.txt) into .tools/venv (pip)" >&2
  "$VENV/bin/pip" install --quiet --disable-pip-version-check "$(grep '^moto' scripts/requirements-test.txt)" >&2
}

# The function binaries: one folder per function under functions/.
function_names() { find functions -mindepth 1 -maxdepth 1 -type d -printf '%f\n' | sort; }

# Builds every function with cargo-lambda, release, x86_64, as deployment zips. Zig first (the
# cargo-lambda default); the plain cargo compiler if zig fails. Prints the compiler that worked.
# Quiet and quick when nothing changed.
build_functions() {
  ensure_cargo_lambda
  local packages=() fn compiler log
  for fn in $(function_names); do packages+=(-p "$fn"); done
  log="$(mktemp)"
  for compiler in cargo-zigbuild cargo; do
    if cargo lambda build --release --x86-64 --output-format zip --compiler "$compiler" \
        "${packages[@]}" >"$log" 2>&1; then
      rm -f "$log"
      echo "$compiler"
      return 0
    fi
    say "cargo lambda build with --compiler $compiler failed; last lines:" >&2
    tail -n 15 "$log" >&2
  done
  rm -f "$log"
  die "cargo lambda build failed with every compiler"
}

# --- PostgreSQL ---------------------------------------------------------------------------------
psql_q() { psql -X -q -v ON_ERROR_STOP=1 "$@"; }

# Creates a fresh, uniquely named database, to be dropped on exit, and puts its name in the
# variable named $1 (not printed: a $(…) subshell would lose the cleanup).
fresh_database() {
  local name
  name="gt_bench_$(date +%s)_$RANDOM"
  psql_q -d postgres -c "CREATE DATABASE $name" >/dev/null
  on_exit "psql_q -d postgres -c 'DROP DATABASE IF EXISTS $name WITH (FORCE)' >/dev/null"
  printf -v "$1" '%s' "$name"
}

database_url() { echo "postgres://$PGUSER@$PGHOST:$PGPORT/$1"; }

# Applies migrations/postgres/*.sql in order, as the migrate step would (without sqlx's ledger).
apply_migrations() {
  local db=$1 file
  for file in migrations/postgres/*.sql; do psql_q -d "$db" -f "$file" >/dev/null; done
}

# --- HTTP ---------------------------------------------------------------------------------------
free_port() {
  python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'
}

# Waits up to $2 seconds for URL $1 to answer 200, giving up early if process $3 ends.
wait_for_200() {
  local url=$1 deadline=$((SECONDS + $2)) pid=$3
  while ((SECONDS < deadline)) && kill -0 "$pid" 2>/dev/null; do
    [ "$(curl -s -o /dev/null -w '%{http_code}' --max-time 2 "$url")" = 200 ] && return 0
    sleep 0.5
  done
  return 1
}

# release_build <log name> <what it is> [cargo build args…]: `cargo build --release` with those
# arguments, its output in bench/out/<log name>.log; prints the wall time, dies on failure.
release_build() {
  local log=$1 what=$2 started
  shift 2
  say "building: cargo build --release $*"
  started=$(date +%s.%N)
  if ! cargo build --release "$@" >"$OUT_DIR/$log.log" 2>&1; then
    tail -n 20 "$OUT_DIR/$log.log" >&2
    die "$what does not build (log: bench/out/$log.log)"
  fi
  say "build wall time: $(elapsed_since "$started") s"
}

# --- the local gateway --------------------------------------------------------------------------
# start_gateway <database> <log name> [VAR=value…]: `cargo run --release -p local` (or the binary
# $GATEWAY_BIN, whose process is then the gateway itself) on a free port against that (fresh)
# database, as $BENCH_OWNER, with the extra environment given, logging to
# bench/out/<log name>.log, in its own process group stopped on exit. Waits for GET /health,
# then sets GATEWAY_URL, GATEWAY_PID and GATEWAY_KEY: the dev key the gateway issued on the
# fresh database and printed once.
start_gateway() {
  local db=$1 log="$OUT_DIR/$2.log" port command=(cargo run --release -q -p local)
  shift 2
  [ -z "${GATEWAY_BIN:-}" ] || command=("$GATEWAY_BIN")
  port=$(free_port)
  GATEWAY_URL="http://127.0.0.1:$port"
  say "starting: ${command[*]} on $GATEWAY_URL, database $db, owner $BENCH_OWNER${*:+, $*}"
  env LOCAL_ADDR="127.0.0.1:$port" DATABASE_URL="$(database_url "$db")" DEV_OWNER="$BENCH_OWNER" "$@" \
    setsid "${command[@]}" >"$log" 2>&1 &
  GATEWAY_PID=$!
  on_exit "stop_group $GATEWAY_PID"
  # Up to 10 minutes: `cargo run` rebuilds first if a source changed since the last build.
  if ! wait_for_200 "$GATEWAY_URL/health" 600 "$GATEWAY_PID"; then
    tail -n 20 "$log" >&2
    die "GET /health did not answer 200 (log: bench/out/$2.log)"
  fi
  GATEWAY_KEY=$(grep -E '^\s+gt_' "$log" | head -1 | tr -d ' ')
  [ -n "$GATEWAY_KEY" ] || die "the gateway printed no dev key (log: bench/out/$2.log)"
}

# Seconds, to one decimal, from a start time taken with `date +%s.%N`.
elapsed_since() { python3 -c "import sys, time; print(f'{time.time() - float(sys.argv[1]):.1f}')" "$1"; }

# a / b to two decimals, "n/a" when b is zero or missing.
ratio() { python3 -c "import sys; a, b = map(float, sys.argv[1:]); print(f'{a / b:.2f}' if b else 'n/a')" "${1:-0}" "${2:-0}"; }
