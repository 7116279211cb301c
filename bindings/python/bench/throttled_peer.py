#!/usr/bin/env python3
"""The msgraph-beta-sdk side of the throttled-migration benchmark: run with the peer venv's Python.

Applies one of our plan files (`signin-prefs plan ... --out plan.json`) the way an admin script
does it with Microsoft's `msgraph-beta-sdk`, against the emulator with a write budget that binds,
and reports how the stock client fares. The client is the shared peer harness's
`sdk_common.make_client` (imported in place from --peer-dir): the SDK's default middleware,
including its default retry handler, and a request hook that refuses non-loopback hosts. No retry
of our own is added.

  single  one `sign_in_preferences.patch(body)` per user, --concurrency coroutines in flight
  batch   `$batch` requests of 20 PATCHes (msgraph_core's BatchRequestContent and
          BatchRequestBuilder), --concurrency batches in flight, each sent once; an item that does
          not come back 2xx counts as failed (the SDK retries the `$batch` request itself, never
          its items). The SDK writes absolute item URLs, which Graph and the emulator refuse
          (msgraph-sdk-python#1015), so each item's URL is made relative, as scripts have to.

Each change sets the plan's target values (`userPreferredMethodForSecondaryAuthentication`,
`isSystemPreferredAuthenticationMethodEnabled`). Before each mode the planned users are put back
in their planned `current` state and the emulated clock is moved a day on, through the emulator's
admin API: every mode starts from the same state with full throttling budgets, so `--mode both`
runs on one emulator. One JSON object per mode is printed (and written as a list to --out):

  users           changes attempted (the plan's `change` entries)
  elapsed_s       wall time of the run
  failed          users whose request ended in error; failed_statuses counts them by HTTP status
  unfinished      users without an outcome when --timeout stopped the run (timed_out)
  http_429        429s the emulator answered during the run (GET /_emulator/stats, before/after)
  writes_accepted writes the emulator let through during the run
  left_unchanged  planned users not holding their target values afterwards (admin API)

    signin-prefs emulator --users 4000 --seed 5 --writes-per-150s 600 --time-scale 10 \\
        --fractional-retry-after       # prints the origin, token URL, client id and secret
    # TOKEN: a client-credentials token from that token URL with that client id and secret
    signin-prefs plan --group 0a11c0de-0000-4000-8000-000000000001 --method push,oath \\
        --system-preferred on --out plan.json      # SIGNIN_PREFS_BASE_URL/_TOKEN: the emulator
    /work/peer-venv/bin/python bench/throttled_peer.py --base-url http://127.0.0.1:PORT \\
        --token TOKEN --plan plan.json --mode both --out result.json
"""

from __future__ import annotations

import argparse
import asyncio
import json
import sys
import time
from collections import Counter
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Awaitable, Callable, Dict, List, Optional, TypeVar
from urllib.parse import quote, urlparse

import httpx

HERE = Path(__file__).resolve().parent
BATCH_SIZE = 20
ADMIN_CONCURRENCY = 16
# Far past every throttling window: moving the emulated clock this far fills every bucket.
REFILL_SECONDS = 86_400

T = TypeVar("T")


@dataclass(frozen=True)
class Change:
    """One `change` entry of a plan: the user, where it starts and the values it should end with."""

    user: str
    current_method: Optional[str]
    current_system_preferred: Optional[bool]
    method: Optional[str]
    system_preferred: Optional[bool]


def load_changes(path: Path) -> List[Change]:
    plan = json.loads(path.read_text(encoding="utf-8"))
    return [
        Change(entry["user"], entry["current"]["method"], entry["current"]["systemPreferred"],
               entry["target"]["method"], entry["target"]["systemPreferred"])
        for entry in plan["entries"] if entry["action"] == "change"
    ]


def relative(url: str) -> str:
    """The item URL Graph accepts in a `$batch`: the path after the version segment."""
    path = urlparse(url).path
    return path[len("/beta"):] if path.startswith("/beta/") else path


def outcome(status: Optional[int]) -> str:
    """"ok" for a 2xx, else the status ("missing" when a `$batch` answer lacks the item)."""
    if status is None:
        return "missing"
    return "ok" if 200 <= status < 300 else str(status)


def admin_user_url(base_url: str, user: str) -> str:
    return f"{base_url}/_emulator/users/{quote(user, safe='')}"


async def for_each(changes: List[Change], call: Callable[[Change], Awaitable[T]]) -> List[T]:
    """`call` for every change, ADMIN_CONCURRENCY in flight, results in order."""
    gate = asyncio.Semaphore(ADMIN_CONCURRENCY)

    async def one(change: Change) -> T:
        async with gate:
            return await call(change)

    return await asyncio.gather(*(one(change) for change in changes))


async def emulator_stats(http: httpx.AsyncClient, base_url: str) -> Dict[str, int]:
    response = await http.get(f"{base_url}/_emulator/stats")
    response.raise_for_status()
    stats: Dict[str, int] = response.json()
    return stats


async def prepare(http: httpx.AsyncClient, base_url: str, changes: List[Change]) -> None:
    """Puts every planned user back in its planned state and fills the throttling buckets."""

    async def restore(change: Change) -> None:
        response = await http.patch(admin_user_url(base_url, change.user), json={
            "userPreferredMethodForSecondaryAuthentication": change.current_method,
            "isSystemPreferredAuthenticationMethodEnabled": change.current_system_preferred,
        })
        response.raise_for_status()

    await for_each(changes, restore)
    response = await http.post(f"{base_url}/_emulator/clock/advance", json={"seconds": REFILL_SECONDS})
    response.raise_for_status()


async def count_left_unchanged(http: httpx.AsyncClient, base_url: str, changes: List[Change]) -> int:
    """Planned users whose state (read through the admin API) misses a target value."""

    async def holds_target(change: Change) -> bool:
        response = await http.get(admin_user_url(base_url, change.user))
        response.raise_for_status()
        state = response.json()
        return ((change.method is None
                 or state["userPreferredMethodForSecondaryAuthentication"] == change.method)
                and (change.system_preferred is None
                     or state["isSystemPreferredAuthenticationMethodEnabled"] == change.system_preferred))

    return (await for_each(changes, holds_target)).count(False)


class Migration:
    """The SDK client and the outcome of every planned user in one mode's run."""

    def __init__(self, base_url: str, token: str, changes: List[Change]) -> None:
        from azure.core.credentials import AccessToken
        from sdk_common import make_client

        self.client, self.adapter, credential = make_client(base_url=base_url + "/beta")
        credential._tok = AccessToken(token, int(time.time()) + 3600)
        self.changes = changes
        self.outcomes: Dict[str, str] = {}  # user -> outcome(), or the transport error's name

    def body(self, change: Change) -> Any:
        from msgraph_beta.generated.models.sign_in_preferences import SignInPreferences
        from msgraph_beta.generated.models.user_default_authentication_method_type import \
            UserDefaultAuthenticationMethodType

        return SignInPreferences(
            user_preferred_method_for_secondary_authentication=(
                None if change.method is None else UserDefaultAuthenticationMethodType(change.method)),
            is_system_preferred_authentication_method_enabled=change.system_preferred,
        )

    def builder(self, user: str) -> Any:
        return self.client.users.by_user_id(user).authentication.sign_in_preferences

    async def single(self, concurrency: int) -> None:
        from kiota_abstractions.api_error import APIError

        pending = iter(self.changes)

        async def worker() -> None:
            for change in pending:
                try:
                    await self.builder(change.user).patch(self.body(change))
                    self.outcomes[change.user] = "ok"
                except APIError as error:
                    self.outcomes[change.user] = outcome(error.response_status_code)
                except httpx.HTTPError as error:
                    self.outcomes[change.user] = type(error).__name__

        await asyncio.gather(*(worker() for _ in range(concurrency)))

    async def batch(self, concurrency: int) -> None:
        from kiota_abstractions.api_error import APIError
        from msgraph_core.requests.batch_request_builder import BatchRequestBuilder
        from msgraph_core.requests.batch_request_content import BatchRequestContent
        from msgraph_core.requests.batch_request_item import BatchRequestItem

        sender = BatchRequestBuilder(self.adapter)
        pending = iter(range(0, len(self.changes), BATCH_SIZE))

        async def send(chunk: List[Change]) -> None:
            content = BatchRequestContent()
            for step, change in enumerate(chunk, 1):
                item = BatchRequestItem(self.builder(change.user).to_patch_request_information(
                    self.body(change)), id=str(step))
                item.url = relative(item.url)
                content.add_request(item.id, item)
            try:
                statuses = (await sender.post(content)).get_response_status_codes()
            except APIError as error:
                statuses = {str(step): error.response_status_code for step in range(1, len(chunk) + 1)}
            except httpx.HTTPError as error:
                self.outcomes.update((change.user, type(error).__name__) for change in chunk)
                return
            for step, change in enumerate(chunk, 1):
                self.outcomes[change.user] = outcome(statuses.get(str(step)))

        async def worker() -> None:
            for start in pending:
                await send(self.changes[start:start + BATCH_SIZE])

        await asyncio.gather(*(worker() for _ in range(concurrency)))


async def run_mode(mode: str, args: argparse.Namespace, changes: List[Change]) -> Dict[str, Any]:
    migration = Migration(args.base_url, args.token, changes)
    async with httpx.AsyncClient(timeout=30) as http:
        await prepare(http, args.base_url, changes)
        before = await emulator_stats(http, args.base_url)
        run = migration.single if mode == "single" else migration.batch
        t0 = time.perf_counter()
        try:
            await asyncio.wait_for(run(args.concurrency), timeout=args.timeout)
            timed_out = False
        except asyncio.TimeoutError:
            timed_out = True
        elapsed = time.perf_counter() - t0
        after = await emulator_stats(http, args.base_url)
        left_unchanged = await count_left_unchanged(http, args.base_url, changes)
    failures = Counter(result for result in migration.outcomes.values() if result != "ok")
    return {
        "mode": mode,
        "concurrency": args.concurrency,
        "users": len(changes),
        "elapsed_s": round(elapsed, 2),
        "failed": sum(failures.values()),
        "failed_statuses": dict(sorted(failures.items())),
        "unfinished": len(changes) - len(migration.outcomes),
        "timed_out": timed_out,
        "http_429": (after["throttledWrites"] + after["throttledReads"]
                     - before["throttledWrites"] - before["throttledReads"]),
        "writes_accepted": after["writes"] - before["writes"],
        "left_unchanged": left_unchanged,
    }


async def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--base-url", required=True, help="the emulator's http://127.0.0.1:PORT")
    ap.add_argument("--token", required=True, help="a bearer token the emulator issued")
    ap.add_argument("--plan", required=True, type=Path, help="a plan file of `signin-prefs plan`")
    ap.add_argument("--mode", choices=["single", "batch", "both"], default="both")
    ap.add_argument("--concurrency", type=int, default=8, help="PATCHes (single) or $batch requests in flight")
    ap.add_argument("--timeout", type=float, default=600, help="seconds after which a mode's run is stopped")
    ap.add_argument("--out", type=Path, help="also write the results here, as a JSON list")
    ap.add_argument("--peer-dir", default=str(HERE.parents[3] / "shared/bench/peer-msgraph-python"),
                    help="the shared peer harness (its sdk_common.make_client builds the client)")
    args = ap.parse_args()

    sys.path.insert(0, args.peer_dir)
    from sdk_common import LOOPBACK

    args.base_url = args.base_url.rstrip("/")
    if urlparse(args.base_url).hostname not in LOOPBACK:
        ap.error(f"--base-url must be a loopback origin, not {args.base_url}")
    changes = load_changes(args.plan)
    results = []
    for mode in (["single", "batch"] if args.mode == "both" else [args.mode]):
        result = await run_mode(mode, args, changes)
        print(json.dumps(result), flush=True)
        results.append(result)
    if args.out is not None:
        args.out.write_text(json.dumps(results, indent=1) + "\n", encoding="utf-8")


if __name__ == "__main__":
    asyncio.run(main())
