"""Readiness from Python against the emulator: the counts are those of the rows it lists, the
per-user CSV is owner-only and never replaced, and the authentication methods policy keeps users
from push or OATH as ``bulk.plan`` decides, unless ignored."""

from __future__ import annotations

import gc
import json
import os
import stat
from collections import Counter
from pathlib import Path
from typing import Callable, List, Optional

import pytest

import signin_prefs
from signin_prefs import bulk
from signin_prefs.testing import READ_WRITE_ALL, Emulator


def _count(users: List[bulk.ReadinessUser], test: Callable[[bulk.ReadinessUser], Optional[bool]]) -> int:
    return sum(1 for user in users if test(user))


def test_the_counts_are_those_of_the_rows(emulator: Emulator) -> None:
    ready = bulk.readiness(emulator.client())
    users = list(ready.iter_users())
    summary = ready.summary
    assert summary.users == emulator.user_count == len(users)
    assert ready.users_csv is None
    by_method = Counter(str(user.default_method) if user.default_method else "none" for user in users)
    assert summary.by_default_method == dict(by_method)
    assert summary.phone_default == _count(users, lambda user: user.phone_default)
    assert summary.must_register == _count(users, lambda user: user.must_register)
    assert summary.only_phone_methods == _count(users, lambda user: user.only_phone_methods)
    assert summary.system_preferred == _count(users, lambda user: user.system_preferred)
    assert summary.policy_read
    assert summary.policy_keeps_from_push == _count(users, lambda user: user.policy_keeps_from_push)
    assert summary.policy_keeps_from_oath == _count(users, lambda user: user.policy_keeps_from_oath)
    assert all(user.policy_keeps_from_push is not None for user in users)
    # Phone defaults are SMS and voice, and the enum keeps the spec's spelling.
    for user in users:
        method = user.default_method
        assert user.phone_default == (method is not None and str(method).startswith(("sms", "voice")))
        if method is not None:
            assert method.is_known

    # Without a users_csv the rows live in a private temporary file, gone with the result.
    rows_dir = os.path.dirname(ready._rows_path)
    assert stat.S_IMODE(os.stat(rows_dir).st_mode) == 0o700
    del ready
    gc.collect()
    assert not os.path.exists(rows_dir)


def test_the_users_csv_is_owner_only_and_never_replaced(emulator: Emulator, tmp_path: Path) -> None:
    path = tmp_path / "users.csv"
    ready = bulk.readiness(emulator.client(), path)
    assert ready.users_csv == str(path)
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    written = path.read_text()
    assert written.splitlines()[0].startswith("user,id,defaultMethod,")
    assert len(written.splitlines()) == ready.summary.users + 1

    with pytest.raises(signin_prefs.BulkError, match="already exists"):
        bulk.readiness(emulator.client(), path)
    assert path.read_text() == written


def test_the_html_page_counts_every_user_and_is_never_replaced(
    emulator: Emulator, tmp_path: Path
) -> None:
    page = tmp_path / "readiness.html"
    ready = bulk.readiness(emulator.client(), html=page)
    html = page.read_text()
    assert stat.S_IMODE(page.stat().st_mode) == 0o600
    marker = '<script type="application/json" id="counts-data">'
    counts = json.loads(html.split(marker, 1)[1].split("</script>", 1)[0])
    assert counts["users"] == ready.summary.users
    assert counts["mustRegister"] == ready.summary.must_register
    marker = '<script type="application/json" id="table-data">'
    table = json.loads(html.split(marker, 1)[1].split("</script>", 1)[0])
    assert len(table["rows"]) == ready.summary.users

    with pytest.raises(signin_prefs.BulkError, match="already exists"):
        bulk.readiness(emulator.client(), html=page)
    assert page.read_text() == html


def test_the_policy_keeps_users_from_oath_as_plan_decides_unless_ignored(
    emulator: Emulator, tmp_path: Path
) -> None:
    # Software OATH disabled (the seeded policy has hardware OATH disabled too): no one may use
    # OATH, and only Authenticator users can move.
    seeded = emulator.set_method_state("SoftwareOath", "disabled")
    try:
        client = emulator.client()
        ready = bulk.readiness(client, tmp_path / "users.csv")
        users = list(ready.iter_users())
        assert ready.summary.policy_keeps_from_oath == len(users)
        assert ready.summary.policy_keeps_from_push == ready.summary.policy_keeps_from_both == 0
        for user in users:
            assert user.policy_keeps_from_oath and not user.policy_keeps_from_push
            assert user.policy_reason.startswith("oath (Third-party software OATH tokens: disabled")

        # The phone defaults movable now are those the planner would change under the policy.
        targets = tmp_path / "targets.csv"
        targets.write_text("user\n" + "\n".join(str(user.id) for user in users) + "\n")
        plan = bulk.plan(client, targets, tmp_path / "plan.json", methods=["push", "oath"])
        changed = {entry["user"] for entry in plan.iter_entries() if entry["action"] == "change"}
        movable = [user for user in users if user.phone_default and user.id in changed]
        assert ready.summary.phone_default_movable == len(movable) > 0

        ignored = bulk.readiness(client, ignore_policy=True)
        assert not ignored.summary.policy_read
        assert ignored.summary.policy_keeps_from_push is None
        assert all(user.policy_keeps_from_push is None for user in ignored.iter_users())
        assert all(user.policy_reason == "" for user in ignored.iter_users())
        assert ignored.summary.phone_default_movable > ready.summary.phone_default_movable

        # A token that may not read the policy is refused before any user is read, unless the
        # policy is ignored.
        unprivileged = signin_prefs.Client(
            token=emulator.mint_token(roles=[READ_WRITE_ALL]), base_url=emulator.base_url
        )
        refused = tmp_path / "refused.csv"
        with pytest.raises(signin_prefs.BulkError, match="Policy.Read.All") as raised:
            bulk.readiness(unprivileged, refused)
        assert "ignore_policy=True" in str(raised.value)
        assert "--ignore-policy" not in str(raised.value)
        assert not refused.exists()
        anyway = bulk.readiness(unprivileged, refused, ignore_policy=True)
        assert anyway.summary.users == len(users)
    finally:
        emulator.set_authentication_methods_policy(seeded)
