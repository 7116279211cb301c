#!/usr/bin/env bash
# Model (de)serialization: signin-prefs (criterion bench `model_serde`) and Microsoft's Python SDK
# (msgraph-beta-sdk, the peer's bench_serde.py) on the same work, in one session on one machine,
# so that ratios between them mean something. Not part of the test suite; results go in BENCHMARKS.md.
#
# Usage: bench/peer_serde.sh [PEER_VENV] [PEER_SCRIPTS_DIR]
#   PEER_VENV         venv with msgraph-beta-sdk installed   (default /work/peer-venv)
#   PEER_SCRIPTS_DIR  directory holding the peer's bench_serde.py, run in place, never copied
#                     (default /work/shared/bench/peer-msgraph-python)
# Environment: PEER_N (iterations per run, default 100000), PEER_RUNS (default 3),
#              PEER_ONLY (scenarios, default parse_plain,ser_build+plain,ser_plain).
set -euo pipefail

venv=${1:-/work/peer-venv}
peer=${2:-/work/shared/bench/peer-msgraph-python}
n=${PEER_N:-100000}
runs=${PEER_RUNS:-3}
only=${PEER_ONLY:-parse_plain,ser_build+plain,ser_plain}

repo=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
py="$venv/bin/python"
[[ -x "$py" ]] || { echo "no python at $py (pass the peer venv as the first argument)" >&2; exit 2; }
[[ -f "$peer/bench_serde.py" ]] || { echo "no bench_serde.py in $peer" >&2; exit 2; }

cd "$repo"
target=$(cargo metadata --format-version 1 --no-deps | "$py" -c 'import json,sys; print(json.load(sys.stdin)["target_directory"])')
peer_out=$(mktemp)
trap 'rm -f "$peer_out"' EXIT

echo "== machine"
echo "date:   $(date -u '+%Y-%m-%d %H:%M:%S UTC')"
echo "nproc:  $(nproc)"
echo "cpu:    $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2- | sed 's/^ *//')"
echo "rustc:  $(rustc --version)"
echo "python: $("$py" --version 2>&1)"
echo "sdk:    $("$py" -c 'import importlib.metadata as m
for p in ("msgraph-beta-sdk", "microsoft-kiota-serialization-json"):
    try:
        print(p, m.version(p), end="; ")
    except m.PackageNotFoundError:
        print(p, "not installed", end="; ")')"

echo
echo "== signin-prefs: cargo bench -p signin-prefs-tests --bench model_serde"
# Fresh estimates only: the summary below reads them back.
rm -rf "$target/criterion/parse" "$target/criterion/build_serialize" "$target/criterion/serialize"
cargo bench -p signin-prefs-tests --bench model_serde

echo
echo "== Microsoft Python SDK: $py $peer/bench_serde.py --n $n --runs $runs --only $only"
(cd "$peer" && "$py" bench_serde.py --n "$n" --runs "$runs" --only "$only") | tee "$peer_out"

echo
echo "== summary (criterion median per iteration; SDK median of run means; same session)"
"$py" - "$target/criterion" "$peer_out" <<'EOF'
import json, os, sys

crit, peer_out = sys.argv[1], sys.argv[2]

def ours(group, name):
    path = os.path.join(crit, group, name, "new", "estimates.json")
    with open(path) as f:
        return json.load(f)["median"]["point_estimate"] / 1000.0  # ns -> us

sdk = {}
with open(peer_out) as f:
    for line in f:
        if line.startswith("{"):
            row = json.loads(line)
            sdk[row["scenario"]] = row["median_us_per_op"]

rows = [
    ("parse GET body", "parse", "floor", "parse_plain"),
    ("parse GET body (floor keeps unknown)", "parse", "floor_keep_unknown", "parse_plain"),
    ("build + serialize patch", "build_serialize", "floor", "ser_build+plain"),
    ("serialize prebuilt patch", "serialize", "floor", "ser_plain"),
]
print("| operation | signin-prefs (generated) | hand-written floor | ratio to floor | Microsoft Python SDK (same run) | speed-up vs SDK |")
print("| --- | --- | --- | --- | --- | --- |")
for label, group, floor_name, scen in rows:
    gen, floor = ours(group, "generated"), ours(group, floor_name)
    s = sdk.get(scen)
    sdk_cell = f"{s:.2f} us" if s is not None else "n/a"
    speed = f"{s / gen:.0f}x" if s is not None else "n/a"
    print(f"| {label} | {gen * 1000:.0f} ns | {floor * 1000:.0f} ns | {gen / floor:.2f}x | {sdk_cell} | {speed} |")
EOF
