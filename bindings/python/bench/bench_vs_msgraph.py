#!/usr/bin/env python3
"""signin_prefs against Microsoft's msgraph-beta-sdk, in one run, on one emulator and workload.

Run with a Python that has the release wheel installed (see BENCHMARKS.md for the command):

    python bench/bench_vs_msgraph.py --wheel target/wheels/signin_prefs-*.whl \\
        --peer-venv /work/peer-venv --peer-dir ../shared/bench/peer-msgraph-python

Measures: wheel and installed size; `import` time in fresh interpreters (wall minus a bare
interpreter, and `-X importtime`'s cumulative figure); PATCHes per second from Python at
concurrency 32 (our AsyncClient; the SDK's stock client, 32 coroutines); a bulk change of every
user (our `bulk.apply` of a plan, journal included, alternating --runs times with one round of the
SDK's `$batch`-of-20 with 8 in flight, the ratio taken per pair; and, once, the SDK's single PATCHes
at concurrency 32). The emulator runs in a process of its own (started from Python with
`signin_prefs.testing.Emulator`), throttling off, and serves both clients.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any, Dict, List

HERE = Path(__file__).resolve().parent

EMULATOR_CHILD = r"""
import json, sys
from signin_prefs.testing import Emulator
emulator = Emulator(users=int(sys.argv[1]), seed=7)
users = [emulator.user_at(i)["id"] for i in range(emulator.user_count)]
with open(sys.argv[2], "w") as f:
    json.dump(users, f)
print(json.dumps({"base_url": emulator.base_url, "token": emulator.token}), flush=True)
sys.stdin.read()
emulator.shutdown()
"""


def on_disk(path: Path) -> int:
    """Bytes on disk under `path` (as `du` counts them)."""
    total = 0
    for root, _, files in os.walk(path):
        for name in files:
            try:
                total += os.lstat(os.path.join(root, name)).st_blocks * 512
            except OSError:
                pass
    return total


def site_packages(python: str) -> Path:
    out = subprocess.run(
        [python, "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"],
        capture_output=True, text=True, check=True,
    )
    return Path(out.stdout.strip())


def import_ms(python: str, module: str, runs: int) -> Dict[str, float]:
    def wall(code: str) -> float:
        t0 = time.perf_counter()
        subprocess.run([python, "-c", code], check=True, capture_output=True)
        return (time.perf_counter() - t0) * 1000

    def importtime() -> float:
        out = subprocess.run([python, "-X", "importtime", "-c", f"import {module}"],
                             check=True, capture_output=True, text=True).stderr
        for line in out.splitlines():
            parts = [p.strip() for p in line.split("|")]
            if len(parts) == 3 and parts[2] == module:
                return int(parts[1]) / 1000
        return float("nan")

    wall("pass"), wall(f"import {module}")  # warm the page cache
    bare = statistics.median(wall("pass") for _ in range(runs))
    imported = statistics.median(wall(f"import {module}") for _ in range(runs))
    cumulative = statistics.median(importtime() for _ in range(runs))
    return {"bare_ms": round(bare, 1), "import_wall_ms": round(imported, 1),
            "import_minus_bare_ms": round(imported - bare, 1), "importtime_cumulative_ms": round(cumulative, 1)}


async def our_updates(base_url: str, token: str, users: List[str], n: int, conc: int, runs: int) -> Dict[str, Any]:
    import signin_prefs

    client = signin_prefs.AsyncClient(token=token, base_url=base_url)

    async def run(count: int) -> float:
        it = iter(range(count))

        async def worker() -> None:
            for i in it:
                await client.update(users[i % len(users)],
                                    is_system_preferred_authentication_method_enabled=bool(i & 1))

        t0 = time.perf_counter()
        await asyncio.gather(*(worker() for _ in range(conc)))
        return time.perf_counter() - t0

    await run(200)
    rates = [n / await run(n) for _ in range(runs)]
    return {"median_ops_per_s": round(statistics.median(rates), 1), "runs": [round(r, 1) for r in rates]}


def bulk_rounds(base_url: str, token: str, users: List[str], work: Path, runs: int,
                peer_command: List[str]) -> Dict[str, Any]:
    """Alternates our timed `bulk.apply` with one SDK `$batch` round, `runs` times: each pair sees
    the same machine, so the ratio is taken per pair (the machine's speed drifts between minutes)."""
    import signin_prefs
    from signin_prefs import bulk

    client = signin_prefs.Client(token=token, base_url=base_url)
    targets = work / "targets.csv"
    targets.write_text("user\n" + "\n".join(users) + "\n")
    peer_process = subprocess.Popen(peer_command, stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
    assert peer_process.stdin is not None and peer_process.stdout is not None
    assert json.loads(peer_process.stdout.readline())["ready"]
    plan_runs: List[float] = []
    apply_runs: List[float] = []
    peer_runs: List[float] = []
    try:
        for run in range(runs):
            # Untimed: every user to False, so the timed plan changes every user.
            bulk.plan(client, targets, work / f"reset{run}.json", system_preferred=False)
            bulk.apply(client, work / f"reset{run}.json", work / f"reset{run}.journal")
            t0 = time.perf_counter()
            plan = bulk.plan(client, targets, work / f"plan{run}.json", system_preferred=True)
            plan_runs.append(time.perf_counter() - t0)
            assert plan.summary["change"] == len(users)
            t0 = time.perf_counter()
            report = bulk.apply(client, work / f"plan{run}.json", work / f"apply{run}.journal")
            apply_runs.append(time.perf_counter() - t0)
            assert report.verdict == "success" and report.counts == {"applied": len(users)}
            peer_process.stdin.write("batch\n")
            peer_process.stdin.flush()
            answer = json.loads(peer_process.stdout.readline())
            assert answer["failed_steps"] == 0
            peer_runs.append(answer["batch20_secs"])
    finally:
        peer_process.stdin.close()
        peer_process.wait(timeout=60)
    ratios = [peer / ours for peer, ours in zip(peer_runs, apply_runs)]
    return {
        "users": len(users),
        "ours": {"plan_secs": round(statistics.median(plan_runs), 3),
                 "apply_secs": round(statistics.median(apply_runs), 3),
                 "apply_runs": [round(r, 3) for r in apply_runs]},
        "peer_batch20_conc8": {"secs": round(statistics.median(peer_runs), 3),
                               "runs": [round(r, 3) for r in peer_runs]},
        "pairwise_ratios": [round(r, 1) for r in ratios],
        "median_pairwise_ratio": round(statistics.median(ratios), 1),
    }


def peer(python: str, args: argparse.Namespace, workload: str, base_url: str, token: str,
         users_file: str, extra: List[str]) -> Dict[str, Any]:
    out = subprocess.run(
        [python, str(HERE / "peer_sdk.py"), workload, "--peer-dir", args.peer_dir, "--base-url", base_url,
         "--token", token, "--users-file", users_file, *extra],
        check=True, capture_output=True, text=True,
    )
    result: Dict[str, Any] = json.loads(out.stdout.strip().splitlines()[-1])
    return result


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--wheel", required=True)
    ap.add_argument("--peer-venv", default="/work/peer-venv")
    ap.add_argument("--peer-dir", default=str(HERE.parents[3] / "shared/bench/peer-msgraph-python"))
    ap.add_argument("--users", type=int, default=10_000)
    ap.add_argument("--n", type=int, default=4000)
    ap.add_argument("--runs", type=int, default=3)
    ap.add_argument("--import-runs", type=int, default=10)
    args = ap.parse_args()
    peer_python = str(Path(args.peer_venv) / "bin" / "python")
    results: Dict[str, Any] = {"nproc": os.cpu_count(), "loadavg": os.getloadavg()}

    ours_installed = on_disk(site_packages(sys.executable) / "signin_prefs")
    results["size"] = {"wheel_bytes": os.path.getsize(args.wheel), "installed_bytes": ours_installed,
                       "peer_site_packages_bytes": on_disk(site_packages(peer_python))}
    results["import"] = {"ours": import_ms(sys.executable, "signin_prefs", args.import_runs),
                         "peer": import_ms(peer_python, "msgraph_beta", args.import_runs)}
    print(json.dumps(results), flush=True)

    with tempfile.TemporaryDirectory() as tmp:
        work = Path(tmp)
        users_file = str(work / "users.json")
        child = subprocess.Popen([sys.executable, "-c", EMULATOR_CHILD, str(args.users), users_file],
                                 stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
        try:
            assert child.stdout is not None
            emulator = json.loads(child.stdout.readline())
            base_url, token = emulator["base_url"], emulator["token"]
            users = json.load(open(users_file))
            results["updates_c32"] = {
                "ours": asyncio.run(our_updates(base_url, token, users, args.n, 32, args.runs)),
                "peer": peer(peer_python, args, "updates", base_url, token, users_file,
                             ["--n", str(args.n), "--conc", "32", "--runs", str(args.runs)]),
            }
            print(json.dumps(results["updates_c32"]), flush=True)
            peer_command = [peer_python, str(HERE / "peer_sdk.py"), "bulk", "--peer-dir", args.peer_dir,
                            "--base-url", base_url, "--token", token, "--users-file", users_file,
                            "--conc", "8", "--interleave"]
            results["bulk"] = bulk_rounds(base_url, token, users, work, args.runs, peer_command)
            # The SDK's other way, single PATCHes at concurrency 32 (slow, so once).
            results["bulk"]["peer_single_patch_c32_secs"] = peer(
                peer_python, args, "bulk", base_url, token, users_file, ["--conc", "8", "--runs", "1"]
            )["single_patch_c32_secs"]
            print(json.dumps(results["bulk"]), flush=True)
        finally:
            if child.stdin is not None:
                child.stdin.close()
            child.wait(timeout=30)

    size, imp = results["size"], results["import"]
    upd, blk = results["updates_c32"], results["bulk"]
    ratios = {
        "wheel_mb": round(size["wheel_bytes"] / 1e6, 2),
        "installed_mb": round(size["installed_bytes"] / 1e6, 2),
        "peer_installed_mb": round(size["peer_site_packages_bytes"] / 1e6, 1),
        "import_ms": imp["ours"]["import_minus_bare_ms"],
        "peer_import_ms": imp["peer"]["import_minus_bare_ms"],
        "updates_ratio": round(upd["ours"]["median_ops_per_s"] / upd["peer"]["median_ops_per_s"], 1),
        "bulk_apply_ratio": blk["median_pairwise_ratio"],
        "bulk_apply_ratio_vs_single_patches": round(
            blk["peer_single_patch_c32_secs"] / blk["ours"]["apply_secs"], 1),
        "bulk_plan_plus_apply_ratio": round(
            blk["peer_batch20_conc8"]["secs"] / (blk["ours"]["apply_secs"] + blk["ours"]["plan_secs"]), 1),
    }
    results["summary"] = ratios
    print(json.dumps({"summary": ratios}), flush=True)


if __name__ == "__main__":
    main()
