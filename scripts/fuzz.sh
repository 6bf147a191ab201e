#!/usr/bin/env bash
# Fuzzes every reader of user files with libFuzzer (address sanitizer on), then keeps what it learnt:
# the corpus, merged down to the inputs that add coverage, goes back into Tests/FuzzCorpus/<target>/,
# and every crashing input is copied there as crash-<hash> so that `make test` replays it.
#
#   scripts/fuzz.sh [TARGET...]        FUZZ_SECONDS per target (default 600), FUZZ_JOBS in parallel (default 1)
set -euo pipefail
cd "$(dirname "$0")/.."

SECONDS_PER_TARGET=${FUZZ_SECONDS:-600}
JOBS=${FUZZ_JOBS:-1}
SCRATCH=.build-fuzz
WORK=.fuzz
say() { printf 'fuzz: %s\n' "$*" >&2; }

# swiftc drops its coverage instrumentation when -sanitize=fuzzer comes with -sanitize=address (seen
# with Swift 6.3: no __sancov sections in the objects), so the coverage kinds are named explicitly.
FLAGS=(--scratch-path "$SCRATCH" --sanitize fuzzer --sanitize address -Xswiftc -DFUZZING
       -Xswiftc -sanitize-coverage=edge,inline-8bit-counters,pc-table,trace-cmp)
say "building dimr-fuzz with libFuzzer and the address sanitizer (first time: several minutes) ..."
swift build "${FLAGS[@]}" --product dimr-fuzz >"$WORK.build.log" 2>&1 \
  || { tail -n 30 "$WORK.build.log" >&2; say "build failed (log: $WORK.build.log)"; exit 1; }
BIN=$(swift build "${FLAGS[@]}" --show-bin-path)/dimr-fuzz

TARGETS=("$@")
[ ${#TARGETS[@]} -gt 0 ] || mapfile -t TARGETS < <(ls Tests/FuzzCorpus)

run_one() {
  local target=$1 corpus=Tests/FuzzCorpus/$1 work=$WORK/$1
  rm -rf "$work"; mkdir -p "$work/corpus" "$work/crashes"
  cp "$corpus"/* "$work/corpus/" 2>/dev/null || true
  # Inputs up to 64 KiB; an allocation over 1 GiB or a process over 3 GiB counts as a crash (nothing
  # sized by a header before the data proves it); leaks count too.
  DIMR_FUZZ_TARGET=$target LSAN_OPTIONS=suppressions=$PWD/scripts/lsan.supp "$BIN" "$work/corpus" \
      -max_total_time="$SECONDS_PER_TARGET" -max_len=65536 -malloc_limit_mb=1024 -rss_limit_mb=3072 \
      -timeout=10 -print_final_stats=1 -artifact_prefix="$work/crashes/" >"$work/log" 2>&1 || true
  local runs cov ft crashes
  runs=$(awk '/stat::number_of_executed_units/ {print $2}' "$work/log" | tail -n 1)
  cov=$(grep -o 'cov: [0-9]*' "$work/log" | tail -n 1 | awk '{print $2}')
  ft=$(grep -o 'ft: [0-9]*' "$work/log" | tail -n 1 | awk '{print $2}')
  # Keep only the inputs that add coverage, next to the regression inputs already committed.
  mkdir -p "$work/merged"
  DIMR_FUZZ_TARGET=$target "$BIN" -merge=1 "$work/merged" "$corpus" "$work/corpus" >"$work/merge.log" 2>&1 || true
  cp -n "$work/merged"/* "$corpus/" 2>/dev/null || true
  crashes=0
  for f in "$work/crashes"/*; do
    [ -f "$f" ] || continue
    crashes=$((crashes + 1))
    cp "$f" "$corpus/$(basename "$f")"
  done
  printf '{"target":"%s","seconds":%s,"executions":%s,"coverage":%s,"features":%s,"corpus":%s,"crashes":%s}\n' \
    "$target" "$SECONDS_PER_TARGET" "${runs:-0}" "${cov:-0}" "${ft:-0}" "$(ls "$corpus" | wc -l)" "$crashes"
}

export -f run_one
export BIN WORK SECONDS_PER_TARGET
mkdir -p "$WORK"
say "fuzzing ${TARGETS[*]} for ${SECONDS_PER_TARGET}s each, $JOBS at a time"
printf '%s\n' "${TARGETS[@]}" | xargs -P "$JOBS" -I{} bash -c 'run_one {}' | tee "$WORK/summary.jsonl"
if grep -q '"crashes":[1-9]' "$WORK/summary.jsonl"; then
  say "crashes found: they are in Tests/FuzzCorpus/<target>/crash-*; logs under $WORK/<target>/log"
  exit 1
fi
