#!/usr/bin/env bash
# Fuzzing (issue 18): builds the libFuzzer targets (bench/Fuzz, compiled only here: Package.swift
# adds them when MODELWATCH_FUZZ=1, in the scratch path .build-fuzz) and runs each for FUZZ_RUNS
# executions (default 1,000,000), then prints executions, time, coverage and crashes per target.
#
#   FUZZ_RUNS=N            executions per target
#   FUZZ_TARGETS="json sse" the targets to run (default: all of them)
#   FUZZ_MAX_LEN=N         the longest input libFuzzer makes (default 4096 bytes)
#
# Seeds come from our own payloads (bench/fuzz-seeds.py); the growing corpus and any crashing
# input stay under .build-fuzz (ignored). A crash stops that target's run; its input is kept in
# .build-fuzz/crashes/<target>/ and the table says so. The runs take /tmp/bench.lock (shared with
# the other benchmarks, waiting at most FUZZ_LOCK_WAIT seconds, 600) and run at nice 10.
set -euo pipefail
cd "$(dirname "$0")/.."

runs=${FUZZ_RUNS:-1000000}
max_len=${FUZZ_MAX_LEN:-4096}
all_targets="json sse oip tfserving mlflow openai torchserve generic configuration baseline proxy"
targets=${FUZZ_TARGETS:-$all_targets}
scratch=.build-fuzz

echo "fuzz: building the targets (release, -sanitize=fuzzer) in $scratch"
MODELWATCH_FUZZ=1 swift build -c release --scratch-path "$scratch" --product modelwatch-fuzz
binary="$(MODELWATCH_FUZZ=1 swift build -c release --scratch-path "$scratch" --show-bin-path)/modelwatch-fuzz"
rm -rf "$scratch/seeds"
python3 bench/fuzz-seeds.py "$scratch/seeds"

# A trap is libFuzzer's to catch (it writes the input that caused it), not the Swift backtracer's.
export SWIFT_BACKTRACE=enable=no

exec 9>/tmp/bench.lock
if ! flock -w "${FUZZ_LOCK_WAIT:-600}" 9; then
    echo "fuzz: /tmp/bench.lock is still held by another measurement; running without it"
fi
echo "fuzz: load average before: $(cut -d' ' -f1-3 /proc/loadavg)"

results=()
for target in $targets; do
    corpus="$scratch/corpus/$target"
    crashes="$scratch/crashes/$target"
    log="$scratch/logs/$target.log"
    mkdir -p "$corpus" "$crashes" "$(dirname "$log")"
    started=$(date +%s.%N)
    status=0
    MODELWATCH_FUZZ_TARGET=$target nice -n 10 "$binary" -runs="$runs" -max_len="$max_len" -timeout=10 \
        -rss_limit_mb=2048 -print_final_stats=1 -artifact_prefix="$crashes/" "$corpus" "$scratch/seeds/$target" \
        >"$log" 2>&1 || status=$?
    seconds=$(echo "$(date +%s.%N) - $started" | bc)
    executions=$(awk '/^stat::number_of_executed_units/ { print $2 }' "$log")
    coverage=$(grep -Eo 'cov: [0-9]+ ft: [0-9]+' "$log" | tail -n 1 | awk '{ print $2 " " $4 }')
    found=$(find "$crashes" -type f | wc -l)
    results+=("$(printf '%-14s %12s %9.0f %9s %6s %7s %8s' "$target" "${executions:-?}" "$seconds" \
        "$(awk -v e="${executions:-0}" -v s="$seconds" 'BEGIN { printf "%.0f", e / s }')" \
        "${coverage%% *}" "${coverage##* }" "$found")")
    echo "fuzz: $target: exit $status, ${executions:-?} executions in ${seconds%.*} s, cov/ft ${coverage:-?}, crashes $found"
    if [ "$status" != 0 ]; then
        grep -E 'ERROR|Fatal error|SUMMARY|Test unit written' "$log" | head -n 5 | sed 's/^/fuzz:   /' || true
    fi
done
echo "fuzz: load average after: $(cut -d' ' -f1-3 /proc/loadavg)"
echo
printf '%-14s %12s %9s %9s %6s %7s %8s\n' target executions seconds exec/s cov ft crashes
printf '%s\n' "${results[@]}"
