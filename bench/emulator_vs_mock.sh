#!/usr/bin/env bash
# Emulator throughput and server CPU per request (GET and PATCH signInPreferences) next to the peer's
# aiohttp mock (mock_graph.py, run in place, never copied), with one load generator in one run, then
# the emulator's memory for 1,000,000 seeded users. Not part of the test suite; results go in
# BENCHMARKS.md.
#
# Usage: bench/emulator_vs_mock.sh [PEER_VENV] [PEER_SCRIPTS_DIR]
#   PEER_VENV         venv with aiohttp (the peer's)           (default /work/peer-venv)
#   PEER_SCRIPTS_DIR  directory holding mock_graph.py          (default /work/shared/bench/peer-msgraph-python)
# Environment: EMU_N (requests per run, default 20000), EMU_RUNS (default 3), EMU_CONC (default 1,32),
#              EMU_MEMORY_USERS (default 1000000).
set -euo pipefail

export PEER_VENV=${1:-/work/peer-venv}
export PEER_DIR=${2:-/work/shared/bench/peer-msgraph-python}
[[ -x "$PEER_VENV/bin/python" ]] || { echo "no python at $PEER_VENV/bin/python" >&2; exit 2; }
[[ -f "$PEER_DIR/mock_graph.py" ]] || { echo "no mock_graph.py in $PEER_DIR" >&2; exit 2; }

cd "$(dirname "${BASH_SOURCE[0]}")/.."
echo "== machine"
echo "date:   $(date -u '+%Y-%m-%d %H:%M:%S UTC')"
echo "nproc:  $(nproc)"
echo "cpu:    $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2- | sed 's/^ *//')"
echo "rustc:  $(rustc --version)"
echo "python: $("$PEER_VENV/bin/python" --version 2>&1), aiohttp $("$PEER_VENV/bin/python" -c 'import aiohttp; print(aiohttp.__version__)')"
echo "load:   $(cut -d' ' -f1-3 /proc/loadavg)"
echo
cargo bench -p signin-prefs-tests --bench emulator_load
