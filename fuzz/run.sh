#!/usr/bin/env bash
# Runs the fuzz targets the way RELIABILITY.md reports them: one after another, one process each,
# to 10,000,000 executions (or MAX_TIME seconds, whichever comes first), then minimizes each corpus.
# Needs cargo-fuzz (`cargo install cargo-fuzz`); RUSTC_BOOTSTRAP=1 lets the stable toolchain take the
# nightly flags cargo fuzz passes. Usage: fuzz/run.sh [TARGET...]   (default: every target)
set -euo pipefail
cd "$(dirname "$0")"
export RUSTC_BOOTSTRAP=1
RUNS="${RUNS:-10000000}"
MAX_TIME="${MAX_TIME:-3600}"
targets=("$@")
if [ ${#targets[@]} -eq 0 ]; then
    targets=(model_json error_envelope batch_response plan_json targets_file user_key_path retry_after journal)
fi
for target in "${targets[@]}"; do
    flags=(-a -s none)
    # csv_core builds its DFA for every reader; instrumented with trace-compares that alone costs
    # ~80% of an execution, so this target is built without it (edge coverage stays).
    if [ "$target" = targets_file ]; then
        flags+=(--no-trace-compares --target-dir target-ntc)
    fi
    mkdir -p "corpus/$target"
    echo "== $target"
    cargo fuzz run "${flags[@]}" "$target" "corpus/$target" -- \
        -runs="$RUNS" -max_total_time="$MAX_TIME" -rss_limit_mb=2048 -timeout=10 \
        -print_final_stats=1 2>&1 | grep -E '^(stat::|Done|==|INFO: (Loaded|seed))|panicked|SUMMARY|ERROR'
    cargo fuzz cmin "${flags[@]}" "$target" "corpus/$target" -- -set_cover_merge=1 -use_counters=0 2>&1 | tail -n 1
done
