"""Stopping bulk runs from Python: a real Ctrl-C (SIGINT) during a blocking call, and the
cancellation of an async call's task. Each stops the run mid-way (counted in its journal, not
timed), leaves the journal ready for ``resume=True``, and the resume finishes the job exactly."""

from __future__ import annotations

import asyncio
import json
import os
import signal
import threading
from pathlib import Path
from typing import Callable, Iterator, List, Tuple

import pytest

import signin_prefs
from signin_prefs import bulk
from signin_prefs.testing import Emulator

from conftest import Heartbeat

#: Seconds each ``$batch`` waits in the emulator: a run of this tenant takes many of them.
DELAY = 0.05


@pytest.fixture()
def slowed(tmp_path: Path) -> Iterator[Tuple[Emulator, Path]]:
    """A tenant of its own, every ``$batch`` slowed, and a targets file naming all its users."""
    with Emulator(users=120, seed=19) as emulator:
        keys = [record["id"] for record in map(emulator.user_at, range(emulator.user_count)) if record]
        targets = tmp_path / "targets.csv"
        targets.write_text("user\n" + "\n".join(keys) + "\n")
        emulator.add_fault("batch", "delay", seconds=DELAY)
        yield emulator, targets


def _planned(emulator: Emulator, targets: Path, tmp_path: Path) -> Tuple[bulk.Plan, int, Path]:
    """The plan of every user to push (else OATH) and system-preferred on, its number of
    changes, and where its journal goes."""
    plan = bulk.plan(
        emulator.client(),
        targets,
        tmp_path / "plan.json",
        methods=["push", "oath"],
        system_preferred=True,
    )
    assert plan.summary["change"] > 20
    return plan, plan.summary["change"], tmp_path / "apply.journal"


def _outcomes(journal: Path) -> List[str]:
    """The users with a final outcome in the journal (an outcome other than not reached)."""
    if not journal.exists():
        return []
    final = set()
    for line in journal.read_text().splitlines():
        try:
            record = json.loads(line)
        except ValueError:
            continue  # a line being written
        if record.get("record") == "outcome" and record.get("status") != "notReached":
            final.add(record["user"])
    return sorted(final)


def _interrupt_once(ready: Callable[[], bool]) -> None:
    """Sends this process a real SIGINT, from another thread, once ``ready()`` holds."""

    def watch() -> None:
        while not ready():
            threading.Event().wait(0.005)
        os.kill(os.getpid(), signal.SIGINT)

    threading.Thread(target=watch, daemon=True).start()


def _spooling(out: Path) -> Callable[[], bool]:
    """Whether a plan into ``out`` is under way: its spool of entries appears as reading starts."""
    return lambda: any(path.name.startswith(".plan.json.entries") for path in out.iterdir())


def _assert_holds_the_plan(emulator: Emulator, plan: bulk.Plan) -> None:
    for entry in plan.changes:
        record = emulator.user(entry["user"])
        assert record is not None
        assert record["user_preferred_method_for_secondary_authentication"] == entry["target"]["method"]
        assert record["is_system_preferred_authentication_method_enabled"] is True


def test_ctrl_c_stops_apply_mid_run_and_a_resume_finishes_it(
    slowed: Tuple[Emulator, Path], tmp_path: Path
) -> None:
    emulator, targets = slowed
    plan, changes, journal = _planned(emulator, targets, tmp_path)
    client = emulator.client()
    _interrupt_once(lambda: bool(_outcomes(journal)))
    with pytest.raises(bulk.BulkInterrupted) as caught:
        bulk.apply(client, plan.path, journal, batch_size=2, concurrency=1)
    interrupted = caught.value
    assert isinstance(interrupted, KeyboardInterrupt)
    assert not isinstance(interrupted, signin_prefs.SignInPreferencesError)
    assert interrupted.journal_path == os.fspath(journal)
    report = interrupted.report
    assert report is not None and not report.finished
    assert report.counts.get("notRun", 0) > 0
    # Stopped promptly: most users were never sent.
    assert len(_outcomes(journal)) < changes // 2

    resumed = bulk.apply(client, plan.path, journal, resume=True)
    assert resumed.finished and resumed.verdict == "success"
    _assert_holds_the_plan(emulator, plan)
    # Every changed user has exactly one final outcome, over both runs.
    finals = [
        json.loads(line)["user"]
        for line in journal.read_text().splitlines()
        if json.loads(line).get("record") == "outcome"
        and json.loads(line).get("status") in ("applied", "recovered")
    ]
    assert sorted(finals) == sorted(entry["user"] for entry in plan.changes)


def test_ctrl_c_stops_a_plan_leaving_no_file(slowed: Tuple[Emulator, Path], tmp_path: Path) -> None:
    emulator, targets = slowed
    emulator.clear_faults()
    emulator.add_fault("batch", "delay", seconds=1.0)
    out = tmp_path / "out"
    out.mkdir()

    _interrupt_once(_spooling(out))
    with pytest.raises(bulk.BulkInterrupted) as caught:
        bulk.plan(emulator.client(), targets, out / "plan.json", methods=["push"], read_path="per-user")
    assert caught.value.report is None
    assert list(out.iterdir()) == []


@pytest.mark.asyncio
async def test_cancelling_apply_async_stops_the_run_while_the_loop_keeps_ticking(
    slowed: Tuple[Emulator, Path], tmp_path: Path, heartbeat: Heartbeat
) -> None:
    emulator, targets = slowed
    plan, changes, journal = _planned(emulator, targets, tmp_path)
    client = emulator.async_client()
    heartbeat.start()
    run = asyncio.ensure_future(
        bulk.apply_async(client, plan.path, journal, batch_size=2, concurrency=1)
    )
    # The loop is free while the run goes on: this coroutine and the heartbeat both run.
    while not _outcomes(journal):
        assert not run.done()
        await asyncio.sleep(0.005)
    assert heartbeat.ticks >= 5
    run.cancel()
    with pytest.raises(asyncio.CancelledError):
        await run
    heartbeat.stop()
    # The run stopped: the journal is settled (no user in doubt) and most users were not sent.
    assert len(_outcomes(journal)) < changes // 2
    records = [json.loads(line) for line in journal.read_text().splitlines()]
    attempted = {record["user"] for record in records if record["record"] == "attempt"}
    with_outcome = {record["user"] for record in records if record["record"] == "outcome"}
    assert attempted == with_outcome
    assert not any(record["record"] == "finished" for record in records)

    resumed = await bulk.apply_async(client, plan.path, journal, resume=True)
    assert resumed.finished and resumed.verdict == "success"
    _assert_holds_the_plan(emulator, plan)


@pytest.mark.asyncio
async def test_cancelling_plan_async_leaves_no_file(
    slowed: Tuple[Emulator, Path], tmp_path: Path
) -> None:
    emulator, targets = slowed
    out = tmp_path / "out"
    out.mkdir()
    run = asyncio.ensure_future(
        bulk.plan_async(emulator.async_client(), targets, out / "plan.json", methods=["push"])
    )
    while not _spooling(out)():
        await asyncio.sleep(0.005)
    run.cancel()
    with pytest.raises(asyncio.CancelledError):
        await run
    assert list(out.iterdir()) == []
    # Uncancelled, the same coroutine writes the plan.
    written = await bulk.plan_async(emulator.async_client(), targets, out / "plan.json", methods=["push"])
    assert written.summary["change"] > 0
