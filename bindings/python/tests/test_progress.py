"""``progress=`` on bulk calls: snapshots from the calling thread (the loop's, for the async
forms), counting to the end; a callback's exception stops the run as Ctrl-C does; the tqdm
adapter, driven through a tqdm-like bar, and its clear error when tqdm is missing."""

from __future__ import annotations

import asyncio
import json
import sys
import threading
from pathlib import Path
from typing import Iterator, List, Optional, Set, Tuple

import pytest

from signin_prefs import bulk, progress
from signin_prefs.progress import Progress
from signin_prefs.testing import Emulator

from conftest import Heartbeat

#: Seconds each ``$batch`` waits in the emulator: a run of this tenant takes a few seconds.
DELAY = 0.15


@pytest.fixture()
def planned(tmp_path: Path) -> Iterator[Tuple[Emulator, bulk.Plan]]:
    """A tenant of its own, every ``$batch`` slowed, and the plan of all its users to push."""
    with Emulator(users=80, seed=23) as emulator:
        keys = [record["id"] for record in map(emulator.user_at, range(emulator.user_count)) if record]
        plan = bulk.plan(
            emulator.client(), keys, tmp_path / "plan.json", methods=["push", "oath"],
            system_preferred=True,
        )
        assert plan.summary["change"] > 20
        emulator.add_fault("batch", "delay", seconds=DELAY)
        yield emulator, plan


class Recorder:
    """A callback keeping each snapshot and the thread it came on."""

    def __init__(self, raise_at: Optional[int] = None) -> None:
        self.snapshots: List[Progress] = []
        self.threads: Set[int] = set()
        self.raise_at = raise_at

    def __call__(self, snapshot: Progress) -> None:
        self.snapshots.append(snapshot)
        self.threads.add(threading.get_ident())
        if self.raise_at is not None and snapshot.done >= self.raise_at:
            raise RuntimeError("enough for today")


def _assert_counts_to_the_end(recorder: Recorder, total: int, applied: int) -> None:
    snapshots = recorder.snapshots
    assert all(isinstance(snapshot, Progress) for snapshot in snapshots)
    done = [snapshot.done for snapshot in snapshots]
    assert done == sorted(done)
    last = snapshots[-1]
    assert last.phase == "finished"
    assert (last.done, last.total) == (total, total)
    assert last.outcomes.applied == applied
    # Seen under way, with a rate and what is left at it.
    assert any(s.phase == "sending" and 0 < s.done < total for s in snapshots)
    assert any(s.rate is not None and s.eta is not None for s in snapshots)
    assert all(s.throttled_wait >= 0 and s.throttled >= 0 for s in snapshots)
    # At a bounded rate: snapshots under way are a look for signals (0.1 s) apart at least.
    under_way = [s.elapsed for s in snapshots[:-1]]
    assert all(later - earlier >= 0.09 for earlier, later in zip(under_way, under_way[1:]))


def _apply(
    planned: Tuple[Emulator, bulk.Plan], journal: Path, callback: progress.ProgressCallback
) -> bulk.Report:
    """Applies the plan two users a batch, one batch at a time: a run of a few seconds."""
    emulator, plan = planned
    return bulk.apply(
        emulator.client(), plan.path, journal, batch_size=2, concurrency=1, progress=callback
    )


def _assert_stopped_settled(journal: Path, plan: bulk.Plan) -> None:
    """Stopped promptly (most users not settled), settled (every attempt has its outcome), and
    not finished."""
    records = [json.loads(line) for line in journal.read_text().splitlines()]
    attempted = {record["user"] for record in records if record["record"] == "attempt"}
    settled = {
        record["user"] for record in records
        if record["record"] == "outcome" and record["status"] != "notReached"
    }
    assert attempted == {record["user"] for record in records if record["record"] == "outcome"}
    assert len(settled) < plan.summary["change"] // 2
    assert not any(record["record"] == "finished" for record in records)


def test_apply_tells_progress_from_the_calling_thread_to_its_end(
    planned: Tuple[Emulator, bulk.Plan], tmp_path: Path
) -> None:
    plan = planned[1]
    recorder = Recorder()
    report = _apply(planned, tmp_path / "apply.journal", recorder)
    assert recorder.threads == {threading.get_ident()}
    _assert_counts_to_the_end(recorder, plan.summary["change"], report.counts["applied"])


def test_a_callback_that_raises_stops_the_run_as_ctrl_c_does(
    planned: Tuple[Emulator, bulk.Plan], tmp_path: Path
) -> None:
    emulator, plan = planned
    journal = tmp_path / "apply.journal"
    with pytest.raises(RuntimeError, match="enough for today"):
        _apply(planned, journal, Recorder(raise_at=4))
    _assert_stopped_settled(journal, plan)

    resumed = bulk.apply(emulator.client(), plan.path, journal, resume=True)
    assert resumed.finished and resumed.verdict == "success"


def test_plan_tells_its_reading(tmp_path: Path) -> None:
    with Emulator(users=40, seed=5) as emulator:
        keys = [record["id"] for record in map(emulator.user_at, range(emulator.user_count)) if record]
        emulator.add_fault("batch", "delay", seconds=0.2)
        recorder = Recorder()
        bulk.plan(
            emulator.client(), keys, tmp_path / "plan.json", methods=["push"],
            read_path="per-user", progress=recorder,
        )
    phases = [snapshot.phase for snapshot in recorder.snapshots]
    assert "reading" in phases and phases[-1] == "finished"
    last = recorder.snapshots[-1]
    assert last.done == last.total == len(keys)
    assert last.outcomes == progress.Outcomes()


@pytest.mark.asyncio
async def test_apply_async_tells_progress_on_the_loop_and_keeps_it_free(
    planned: Tuple[Emulator, bulk.Plan], tmp_path: Path, heartbeat: Heartbeat
) -> None:
    emulator, plan = planned
    recorder = Recorder()
    heartbeat.start()
    report = await bulk.apply_async(
        emulator.async_client(), plan.path, tmp_path / "apply.journal", batch_size=2,
        concurrency=1, progress=recorder,
    )
    assert heartbeat.ticks >= 20
    assert recorder.threads == {threading.get_ident()}
    _assert_counts_to_the_end(recorder, plan.summary["change"], report.counts["applied"])


@pytest.mark.asyncio
async def test_an_async_callback_that_raises_stops_the_run_settled(
    planned: Tuple[Emulator, bulk.Plan], tmp_path: Path
) -> None:
    emulator, plan = planned
    journal = tmp_path / "apply.journal"
    with pytest.raises(RuntimeError, match="enough for today"):
        await bulk.apply_async(
            emulator.async_client(), plan.path, journal, batch_size=2, concurrency=1,
            progress=Recorder(raise_at=4),
        )
    _assert_stopped_settled(journal, plan)
    resumed = await bulk.apply_async(emulator.async_client(), plan.path, journal, resume=True)
    assert resumed.finished


class FakeBar:
    """The part of tqdm's bar the adapter drives, recording what it was told."""

    def __init__(self) -> None:
        self.total: Optional[float] = None
        self.n: float = 0
        self.description = ""
        self.postfix = ""
        self.refreshes = 0
        self.closed = False

    def set_description_str(self, desc: Optional[str] = None, refresh: bool = True) -> None:
        self.description = desc or ""

    def set_postfix_str(self, s: str = "", refresh: bool = True) -> None:
        self.postfix = s

    def refresh(self) -> None:
        self.refreshes += 1

    def close(self) -> None:
        self.closed = True


def test_the_tqdm_adapter_draws_the_run_and_closes_its_bar(
    planned: Tuple[Emulator, bulk.Plan], tmp_path: Path
) -> None:
    plan = planned[1]
    bar = FakeBar()
    report = _apply(planned, tmp_path / "apply.journal", progress.tqdm(bar=bar))
    changes = plan.summary["change"]
    assert (bar.n, bar.total) == (changes, changes)
    assert bar.closed and bar.refreshes >= 1
    assert bar.description == "finished"
    assert f"applied={report.counts['applied']}" in bar.postfix


def test_the_tqdm_adapter_names_the_extra_when_tqdm_is_missing(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setitem(sys.modules, "tqdm", None)  # what `import tqdm` meets when absent
    with pytest.raises(ImportError, match=r"signin-prefs\[progress\]"):
        progress.tqdm()


def test_a_throttled_run_shows_the_wait_and_fails_no_one(tmp_path: Path) -> None:
    """A tenant whose write budget is smaller than the client assumes (40 writes per 150 s, on a
    clock 50 times faster): the run meets 429s, the snapshots say while Graph holds requests
    back, and no user fails for it. (The client sends throttled items again itself, so the
    engine's own count of users put back, ``throttled``, stays at what it put back: none here.)"""
    with Emulator(users=200, seed=24, writes_per_150s=40, time_scale=50.0) as emulator:
        keys = [record["id"] for record in map(emulator.user_at, range(emulator.user_count)) if record]
        plan = bulk.plan(
            emulator.client(), keys, tmp_path / "plan.json", methods=["push", "oath"],
            system_preferred=True,
        )
        assert plan.summary["change"] > 40, "more changes than one window of the budget"
        recorder = Recorder()
        report = bulk.apply(
            emulator.client(), plan.path, tmp_path / "journal.jsonl", progress=recorder
        )
    assert report.verdict == "success", report.counts
    assert report.counts.get("failed", 0) == 0
    assert any(snapshot.throttled_wait > 0 for snapshot in recorder.snapshots)
    assert all(snapshot.throttled >= 0 for snapshot in recorder.snapshots)
