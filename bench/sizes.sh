#!/usr/bin/env bash
# Sizes: each function's release binary and deployment zip, as `cargo lambda build --release
# --x86-64 --output-format zip` makes them, against the target "every zip under 4 MB".
set -euo pipefail
# shellcheck source=bench/lib.sh
source "$(dirname "$0")/lib.sh"

ZIP_LIMIT_BYTES=$((4 * 1024 * 1024)) # 4 MB, counted as 4 MiB = 4,194,304 bytes

section "Sizes: cargo lambda build --release --x86-64 --output-format zip (cargo-lambda $CARGO_LAMBDA_VERSION)"
started=$(date +%s.%N)
compiler=$(build_functions)
say "build wall time: $(elapsed_since "$started") s (compiler: $compiler; quick when nothing changed)"

failures=0
printf '%-14s %14s %14s %8s  %s\n' function "binary bytes" "zip bytes" "zip/bin" "zip < 4 MiB"
for fn in $(function_names); do
  binary="$RELEASE_BIN_DIR/$fn"
  zip="$LAMBDA_ZIP_DIR/$fn/bootstrap.zip"
  if [ ! -f "$binary" ] || [ ! -f "$zip" ]; then die "missing $binary or $zip after the build"; fi
  binary_bytes=$(stat -c %s "$binary")
  zip_bytes=$(stat -c %s "$zip")
  if ((zip_bytes < ZIP_LIMIT_BYTES)); then verdict=PASS; else verdict=FAIL; failures=$((failures + 1)); fi
  printf '%-14s %14d %14d %8s  %s\n' "$fn" "$binary_bytes" "$zip_bytes" "$(ratio "$zip_bytes" "$binary_bytes")" "$verdict"
done
if ((failures == 0)); then
  say "target every zip under $ZIP_LIMIT_BYTES bytes: PASS"
else
  say "target every zip under $ZIP_LIMIT_BYTES bytes: FAIL ($failures over)"
fi
