#!/usr/bin/env bash
# The browser frontend, in Debian's Chromium: the gzipped JavaScript of the first load against
# the 50 KB budget, the time to the first rendered goal with 100 goals, and the time from a
# change in one browser context to its display in another (p50, p95 over 50 changes), on the
# local gateway on PostgreSQL (fresh database, fresh API key) serving the built site at `/`.
# The measuring program is bench/frontend.mjs (playwright-core from frontend/node_modules).
set -euo pipefail
# shellcheck source=bench/lib.sh
source "$(dirname "$0")/lib.sh"

section "Frontend in Chromium: first-load JavaScript, first rendered goal, live updates between contexts"
mkdir -p "$OUT_DIR"
[ -x "${CHROMIUM:=/usr/bin/chromium}" ] || die "no Chromium at $CHROMIUM (apt-get install chromium; CHROMIUM overrides the path)"

# The site, as the README's run command builds it: npm ci when the lock file is newer than the
# installed packages, then the production build into frontend/dist.
say "building: npm ci (when frontend/package-lock.json changed) && npm run build, in frontend/"
started=$(date +%s.%N)
log="$OUT_DIR/frontend-build.log"
: >"$log"
if [ frontend/package-lock.json -nt frontend/node_modules/.package-lock.json ] \
    && ! (cd frontend && npm ci --no-audit --no-fund) >>"$log" 2>&1; then
  tail -n 20 "$log" >&2
  die "npm ci failed (log: bench/out/frontend-build.log)"
fi
if ! (cd frontend && npm run build) >>"$log" 2>&1; then
  tail -n 20 "$log" >&2
  die "the site does not build (log: bench/out/frontend-build.log)"
fi
say "build wall time: $(elapsed_since "$started") s"

release_build local-build "the local gateway" -p local

db=""
fresh_database db
start_gateway "$db" frontend-gateway SITE_DIR="$REPO_ROOT/frontend/dist"
CHROMIUM="$CHROMIUM" timeout 300 node "$BENCH_DIR/frontend.mjs" "$GATEWAY_URL" "$GATEWAY_KEY" ||
  die "the frontend benchmark failed (gateway log: bench/out/frontend-gateway.log)"
