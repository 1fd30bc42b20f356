#!/usr/bin/env bash
# Coverage-guided fuzzing of every reader of untrusted bytes with libFuzzer (the Swift toolchain's
# -sanitize=fuzzer). Usage: scripts/fuzz.sh [runs per target, default 1000000] [target ...]
# Targets: json record identifier structuredField ndjson stix (all when none are named). Each run stops at the first
# crash or at an input slower than one second, and leaves the crashing input in .build-fuzz/<target>/.
set -euo pipefail
cd "$(dirname "$0")/.."
runs="${1:-1000000}"
shift || true
targets=("$@")
[ ${#targets[@]} -eq 0 ] && targets=(json record identifier structuredField ndjson stix)

swift build --package-path Fuzz -c release --sanitize=fuzzer >&2
binary="Fuzz/.build/release/concord-fuzz"

for target in "${targets[@]}"; do
  work=".build-fuzz/$target"
  mkdir -p "$work/corpus" "$work/seeds"
  started=$(date +%s)
  # -max_len 65536 lets inputs grow past the caps (64 KiB identifiers, 8 KiB fields) the readers enforce.
  if CONCORD_FUZZ_TARGET="$target" CONCORD_FUZZ_SEEDS="$work/seeds" "$binary" \
      -runs="$runs" -timeout=1 -rss_limit_mb=4096 -max_len=65536 -len_control=200 -print_final_stats=1 \
      -artifact_prefix="$work/" "$work/corpus" "$work/seeds" >"$work/log" 2>&1; then
    status=ok
  else
    status="FAILED (see $work/log)"
  fi
  executed=$(grep -o 'stat::number_of_executed_units: *[0-9]*' "$work/log" | grep -o '[0-9]*$' || echo "?")
  coverage=$(grep -o 'cov: [0-9]*' "$work/log" | tail -1 | grep -o '[0-9]*' || echo "?")
  slowest=$(grep -o 'stat::slowest_unit_time_sec: *[0-9]*' "$work/log" | grep -o '[0-9]*$' || echo "?")
  printf '%-16s %s  inputs %s  edges %s  slowest %s s  %s s\n' \
    "$target" "$status" "$executed" "$coverage" "$slowest" "$(( $(date +%s) - started ))"
  [ "$status" = ok ] || exit 1
done
