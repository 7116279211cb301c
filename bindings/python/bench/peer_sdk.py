#!/usr/bin/env python3
"""The msgraph-beta-sdk side of `bench_vs_msgraph.py`: run with the peer venv's Python.

Builds Microsoft's stock client with the shared peer harness's `sdk_common.make_client` (imported in
place from --peer-dir, not copied), aims it at the emulator with the emulator's token, and runs one
workload, printing one JSON line:

  updates  N PATCHes of isSystemPreferredAuthenticationMethodEnabled, C coroutines in flight
  bulk     every user once, as $batch requests of 20 (msgraph_core's BatchRequestContent), C in
           flight (median of --runs), and as single PATCHes at concurrency 32 (once: it is slow);
           the faster is what the SDK can do. With --interleave, one $batch round per request
           on stdin, so the caller can alternate its own runs with the SDK's
"""
from __future__ import annotations

import argparse
import asyncio
import json
import statistics
import sys
import time
from urllib.parse import urlparse


def relative(url: str) -> str:
    path = urlparse(url).path
    return path[len("/beta"):] if path.startswith("/beta/") else path


async def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("workload", choices=["updates", "bulk"])
    ap.add_argument("--peer-dir", required=True)
    ap.add_argument("--base-url", required=True, help="the emulator's http://127.0.0.1:PORT")
    ap.add_argument("--token", required=True)
    ap.add_argument("--users-file", required=True)
    ap.add_argument("--n", type=int, default=2000)
    ap.add_argument("--conc", type=int, default=32)
    ap.add_argument("--runs", type=int, default=3)
    ap.add_argument("--interleave", action="store_true",
                    help="bulk: run one $batch round per 'batch' line on stdin (see bench_vs_msgraph.py)")
    args = ap.parse_args()

    sys.path.insert(0, args.peer_dir)
    from azure.core.credentials import AccessToken
    from msgraph_beta.generated.models.sign_in_preferences import SignInPreferences
    from sdk_common import make_client, sip_builder

    users = json.load(open(args.users_file))
    client, adapter, credential = make_client(base_url=args.base_url + "/beta")
    credential._tok = AccessToken(args.token, int(time.time()) + 3600)

    async def patch(i: int) -> None:
        body = SignInPreferences(is_system_preferred_authentication_method_enabled=bool(i & 1))
        await sip_builder(client, users[i % len(users)]).patch(body)

    async def run(op, n: int, conc: int) -> float:
        it = iter(range(n))

        async def worker() -> None:
            for i in it:
                await op(i)

        t0 = time.perf_counter()
        await asyncio.gather(*(worker() for _ in range(conc)))
        return time.perf_counter() - t0

    await run(patch, 200, 32)  # warm-up: lazy imports, connection pool
    if args.workload == "updates":
        rates = [args.n / await run(patch, args.n, args.conc) for _ in range(args.runs)]
        print(json.dumps({"sdk": "msgraph-beta-sdk", "workload": "updates", "conc": args.conc,
                          "n": args.n, "median_ops_per_s": round(statistics.median(rates), 1),
                          "runs": [round(r, 1) for r in rates]}))
        return

    from msgraph_core.requests.batch_request_builder import BatchRequestBuilder
    from msgraph_core.requests.batch_request_content import BatchRequestContent
    from msgraph_core.requests.batch_request_item import BatchRequestItem

    builder = BatchRequestBuilder(adapter)
    failed = 0

    async def batch(b: int) -> None:
        nonlocal failed
        content = BatchRequestContent()
        for i in range(b * 20, min(len(users), b * 20 + 20)):
            body = SignInPreferences(is_system_preferred_authentication_method_enabled=True)
            item = BatchRequestItem(sip_builder(client, users[i]).to_patch_request_information(body),
                                    id=str(i - b * 20 + 1))
            item.url = relative(item.url)
            content.add_request(item.id, item)
        response = await builder.post(content)
        failed += sum(1 for s in response.get_response_status_codes().values() if s != 204)

    batches = (len(users) + 19) // 20
    if args.interleave:
        # One $batch round per line read, its seconds printed back: the caller runs ours in
        # between, so each pair of runs sees the same machine.
        print(json.dumps({"ready": True}), flush=True)
        for line in sys.stdin:
            if line.strip() != "batch":
                break
            secs = await run(batch, batches, args.conc)
            print(json.dumps({"batch20_secs": round(secs, 4), "failed_steps": failed}), flush=True)
        return
    batch_runs = [await run(batch, batches, args.conc) for _ in range(args.runs)]
    batch_secs = statistics.median(batch_runs)
    single_secs = await run(patch, len(users), 32)
    print(json.dumps({"sdk": "msgraph-beta-sdk", "workload": "bulk", "users": len(users),
                      "batch20_secs": round(batch_secs, 3), "batch20_runs": [round(r, 3) for r in batch_runs],
                      "batch20_conc": args.conc, "batch20_failed_steps": failed,
                      "single_patch_c32_secs": round(single_secs, 2),
                      "best_secs": round(min(batch_secs, single_secs), 3)}))

if __name__ == "__main__":
    asyncio.run(main())
