"""Bulk work without files and errors in Python's words: `bulk.plan` given the users
themselves (checked by a targets file's rules), `bulk.report` from a journal alone, refusals
naming keyword arguments rather than the CLI's flags, and `ThrottledError.retry_after`."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any, Dict, List

import pytest

import signin_prefs
from signin_prefs import bulk
from signin_prefs.testing import Emulator

#: The CLI's spelling of every setting a bulk refusal or reason might name.
CLI_FLAGS = ("--resume", "--max-changes", "--from", "--include-disabled", "--allow-drift",
             "--max-duration")


def _users(emulator: Emulator, count: int, offset: int = 0) -> List[str]:
    keys = []
    for index in range(offset, offset + count):
        record = emulator.user_at(index)
        assert record is not None
        emulator.set_user_state(
            record["id"], methods=["mobilePhone", "softwareOath"], preferred="sms",
            system_preferred=False,
        )
        keys.append(str(record["id"]))
    return keys


def _entries(plan: bulk.Plan) -> List[Dict[str, Any]]:
    """The entries without where each came from (a file's line, a list's item)."""
    return [{k: v for k, v in entry.items() if k != "sourceLine"} for entry in plan.entries]


def test_users_in_hand_plan_as_the_same_users_in_a_file(emulator: Emulator, tmp_path: Path) -> None:
    keys = _users(emulator, 6, offset=150)
    file = tmp_path / "targets.json"
    in_file: List[Any] = keys[:4] + [{"user": keys[4], "method": "oath"}, {"user": keys[5]}]
    file.write_text(json.dumps(in_file))
    client = emulator.client()
    from_file = bulk.plan(client, file, tmp_path / "from-file.json", methods=["push", "oath"])
    in_hand = bulk.plan(
        client,
        (user for user in keys[:4] + [{"user": keys[4], "method": signin_prefs.UserDefaultAuthenticationMethodType.OATH}, {"user": keys[5]}]),  # type: ignore[misc]
        tmp_path / "in-hand.json",
        methods=["push", "oath"],
    )
    assert _entries(in_hand) == _entries(from_file)
    assert in_hand.summary == from_file.summary


def test_users_in_hand_are_refused_as_a_file_would_be(emulator: Emulator, tmp_path: Path) -> None:
    keys = _users(emulator, 2, offset=160)
    with pytest.raises(signin_prefs.ValidationError) as caught:
        bulk.plan(
            emulator.client(), [keys[0], {"user": keys[1], "method": "sms2"}, "not a user"],
            tmp_path / "plan.json", methods=["push"],
        )
    text = str(caught.value)
    assert "targets" in text and "sms2" in text and "not a user" in text
    with pytest.raises(TypeError, match="targets item 2"):
        bulk.plan(emulator.client(), [keys[0], 42], tmp_path / "plan.json", methods=["push"])  # type: ignore[list-item]
    assert not (tmp_path / "plan.json").exists()


def test_report_reads_a_run_from_its_journal_alone(tmp_path: Path) -> None:
    with Emulator(users=30, seed=11) as emulator:
        keys = _users(emulator, 12)
        client = emulator.client()
        plan = bulk.plan(client, keys, tmp_path / "plan.json", methods=["oath"])
        applied = bulk.apply(client, plan.path, tmp_path / "apply.journal", verify=True)
        undone = bulk.rollback(client, tmp_path / "apply.journal", tmp_path / "rollback.journal")
    # The emulator is gone: a report sends nothing.
    for journal, run in (("apply.journal", applied), ("rollback.journal", undone)):
        read = bulk.report(tmp_path / journal)
        assert (read.counts, read.verdict, read.finished) == (run.counts, run.verdict, run.finished)
        assert read.rows == run.rows
        assert json.loads(read.to_json())["rows"] == [row.to_dict() for row in read.rows]
    elsewhere = tmp_path / "moved.json"
    (tmp_path / "plan.json").rename(elsewhere)
    assert bulk.report(tmp_path / "apply.journal", plan_path=elsewhere).rows == applied.rows
    with pytest.raises(signin_prefs.ValidationError, match="missing.journal"):
        bulk.report(tmp_path / "missing.journal")


def test_a_report_writes_its_html_page_as_the_cli_does(tmp_path: Path) -> None:
    with Emulator(users=30, seed=12) as emulator:
        keys = _users(emulator, 8)
        client = emulator.client()
        plan = bulk.plan(client, keys, tmp_path / "plan.json", methods=["oath"])
        applied = bulk.apply(client, plan.path, tmp_path / "apply.journal")
    page = tmp_path / "report.html"
    bulk.report(tmp_path / "apply.journal").write_html(page)
    html = page.read_text()
    marker = '<script type="application/json" id="counts-data">'
    counts = json.loads(html.split(marker, 1)[1].split("</script>", 1)[0])
    assert counts == applied.counts
    assert oct(page.stat().st_mode & 0o777) == oct(0o600)
    with pytest.raises(signin_prefs.BulkError, match="already exists"):
        applied.write_html(page)
    assert page.read_text() == html


def test_a_missing_file_raises_the_same_error_whichever_it_is(
    emulator: Emulator, tmp_path: Path
) -> None:
    client = emulator.client()
    missing = tmp_path / "missing"
    calls = {
        "targets": lambda: bulk.plan(client, missing, tmp_path / "plan.json", methods=["push"]),
        "plan": lambda: bulk.apply(client, missing, tmp_path / "apply.journal"),
        "journal": lambda: bulk.rollback(client, missing, tmp_path / "rollback.journal"),
        "report": lambda: bulk.report(missing),
    }
    for name, call in calls.items():
        with pytest.raises(signin_prefs.ValidationError, match="missing") as caught:
            call()
        assert isinstance(caught.value, ValueError), name


def test_refusals_and_reasons_name_python_keywords_not_cli_flags(
    emulator: Emulator, tmp_path: Path
) -> None:
    keys = _users(emulator, 5, offset=170)
    client = emulator.client()
    with pytest.raises(signin_prefs.BulkError) as capped:
        bulk.plan(client, keys, tmp_path / "capped.json", methods=["oath"], max_changes=2)
    assert "max_changes=2" in str(capped.value)

    plan = bulk.plan(client, keys, tmp_path / "plan.json", methods=["oath"], only_from=["voiceMobile"])
    reasons = " ".join(entry["reason"] for entry in plan.entries)
    assert "to change from" in reasons

    plan = bulk.plan(client, keys, tmp_path / "to-oath.json", methods=["oath"])
    journal = tmp_path / "apply.journal"
    bulk.apply(client, plan.path, journal, max_duration=0.001)
    with pytest.raises(signin_prefs.BulkError) as exists:
        bulk.apply(client, plan.path, journal)
    assert "resume=True" in str(exists.value)
    details = " ".join(row.detail or "" for row in bulk.report(journal).rows)
    for text in (str(capped.value), reasons, str(exists.value), details):
        assert not any(flag in text for flag in CLI_FLAGS), text


def test_throttled_error_carries_the_wait_asked_for(emulator: Emulator, user: str) -> None:
    emulator.add_fault("get", "unavailable", user=user, seconds=0)
    client = signin_prefs.Client(token=emulator.token, base_url=emulator.base_url, max_attempts=1)
    with pytest.raises(signin_prefs.ThrottledError) as caught:
        client.get(user)
    assert caught.value.retry_after == 0.0  # asked for, and no wait: not None
    # A wait longer than the call's deadline allows ends it at once, saying how long was asked.
    emulator.clear_faults()
    emulator.add_fault("get", "unavailable", user=user, seconds=7)
    client = signin_prefs.Client(token=emulator.token, base_url=emulator.base_url, deadline=2)
    with pytest.raises(signin_prefs.RequestTimeoutError) as timed_out:
        client.get(user)
    assert timed_out.value.retry_after == 7.0
    with pytest.raises(signin_prefs.ValidationError) as refused:
        client.get("")
    assert refused.value.retry_after is None
