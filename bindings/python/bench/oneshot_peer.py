#!/usr/bin/env python3
"""The peer's one-shot script: what an administrator's `get` or `set` of one user costs with
Microsoft's msgraph-beta-sdk, from interpreter start to exit (import, client, one request).

The counterpart of `signin-prefs get USER` / `signin-prefs set USER --system-preferred on`, timed
as whole processes side by side (BENCHMARKS.md, "One-shot get and set"). Run it with the peer venv
(set-up in `throttled_peer.py`), against the emulator (`signin-prefs emulator`):

    /work/peer-venv/bin/python bindings/python/bench/oneshot_peer.py \\
        --base-url http://127.0.0.1:PORT --token TOKEN --user USER --op get|set

The SDK client comes from `sdk_common.make_client` (`../shared/bench/peer-msgraph-python/`), whose
request hook refuses any host but loopback.
"""

from __future__ import annotations

import argparse
import asyncio
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
PEER_DIR = HERE.parents[3] / "shared" / "bench" / "peer-msgraph-python"


async def run(base_url: str, token: str, user: str, op: str) -> None:
    sys.path.insert(0, str(PEER_DIR))
    import sdk_common  # the shared peer helpers: stock client, loopback guard

    from azure.core.credentials import AccessToken

    client, _, credential = sdk_common.make_client(base_url=f"{base_url.rstrip('/')}/beta")
    # The emulator's token, in the static credential's place: no token request, as on our side.
    credential._tok = AccessToken(token, int(time.time()) + 3600)
    preferences = client.users.by_user_id(user).authentication.sign_in_preferences
    if op == "get":
        await preferences.get()
    else:
        from msgraph_beta.generated.models.sign_in_preferences import SignInPreferences

        await preferences.patch(
            SignInPreferences(is_system_preferred_authentication_method_enabled=True)
        )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--base-url", required=True)
    parser.add_argument("--token", required=True)
    parser.add_argument("--user", required=True)
    parser.add_argument("--op", choices=["get", "set"], default="get")
    args = parser.parse_args()
    asyncio.run(run(args.base_url, args.token, args.user, args.op))


if __name__ == "__main__":
    main()
