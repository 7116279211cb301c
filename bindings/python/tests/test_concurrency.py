"""The GIL is released while a call waits, and asyncio calls run concurrently."""

from __future__ import annotations

import asyncio
import threading
import time
from pathlib import Path

import pytest

import signin_prefs
from signin_prefs import bulk
from signin_prefs.testing import Emulator

from conftest import Heartbeat


def _ticks_while(call: "threading.Thread", started: threading.Event) -> int:
    """How many times this thread ran Python code while `call` was blocked in the client."""
    started.wait()
    ticks = 0
    while call.is_alive():
        ticks += 1
        time.sleep(0.01)
    return ticks


def test_other_threads_run_while_a_sync_call_blocks(emulator: Emulator, user: str) -> None:
    # The response is held back a second; with the GIL held, this thread could not run at all.
    emulator.add_fault("get", "delay", user=user, seconds=1.0)
    client = emulator.client()
    started = threading.Event()
    results: list = []

    def call() -> None:
        started.set()
        results.append(client.get(user))

    worker = threading.Thread(target=call)
    worker.start()
    ticks = _ticks_while(worker, started)
    worker.join()
    assert results and results[0].user_preferred_method_for_secondary_authentication == "sms"
    assert ticks >= 10


def test_other_threads_run_while_an_update_blocks(emulator: Emulator, user: str) -> None:
    emulator.add_fault("update", "delay", user=user, seconds=1.0)
    client = emulator.client()
    started = threading.Event()

    def call() -> None:
        started.set()
        client.update(user, user_preferred_method_for_secondary_authentication="oath")

    worker = threading.Thread(target=call)
    worker.start()
    ticks = _ticks_while(worker, started)
    worker.join()
    assert ticks >= 10
    assert emulator.user(user)["user_preferred_method_for_secondary_authentication"] == "oath"  # type: ignore[index]


def test_threads_share_one_client(emulator: Emulator) -> None:
    client = emulator.client()
    users = [emulator.user_at(index)["id"] for index in range(150, 182)]  # type: ignore[index]
    errors: list = []

    def work(key: str) -> None:
        try:
            client.update(key, is_system_preferred_authentication_method_enabled=False)
        except Exception as error:  # pragma: no cover - reported below
            errors.append(error)

    threads = [threading.Thread(target=work, args=(key,)) for key in users]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    for key in users:
        assert emulator.user(key)["is_system_preferred_authentication_method_enabled"] is False  # type: ignore[index]


def test_other_threads_run_during_bulk_apply(emulator: Emulator, tmp_path: Path) -> None:
    keys = [emulator.user_at(index)["id"] for index in range(120, 125)]  # type: ignore[index]
    for key in keys:
        emulator.set_user_state(key, methods=["mobilePhone"], preferred="sms", system_preferred=False)
    targets = tmp_path / "targets.csv"
    targets.write_text("user\n" + "\n".join(keys) + "\n")
    client = emulator.client()
    bulk.plan(client, targets, tmp_path / "plan.json", system_preferred=True)
    emulator.add_fault("batch", "delay", seconds=1.0)
    started = threading.Event()
    reports: list = []

    def run() -> None:
        started.set()
        reports.append(bulk.apply(client, tmp_path / "plan.json", tmp_path / "journal"))

    worker = threading.Thread(target=run)
    worker.start()
    ticks = _ticks_while(worker, started)
    worker.join()
    assert reports and reports[0].verdict == "success"
    assert ticks >= 10


@pytest.mark.asyncio
async def test_async_calls_run_concurrently_and_leave_the_loop_free(
    emulator: Emulator, user: str, heartbeat: Heartbeat
) -> None:
    emulator.add_fault("get", "delay", user=user, seconds=1.0)
    client = emulator.async_client()
    heartbeat.start()
    others = [emulator.user_at(index)["id"] for index in range(100, 132)]  # type: ignore[index]
    slow, *fast = await asyncio.gather(client.get(user), *(client.get(key) for key in others))
    heartbeat.stop()
    assert slow.user_preferred_method_for_secondary_authentication == "sms"
    assert len(fast) == 32
    assert heartbeat.ticks >= 10


@pytest.mark.asyncio
async def test_async_updates_concurrently(emulator: Emulator) -> None:
    client = emulator.async_client()
    keys = [emulator.user_at(index)["id"] for index in range(60, 92)]  # type: ignore[index]
    await asyncio.gather(
        *(client.update(key, is_system_preferred_authentication_method_enabled=None) for key in keys)
    )
    for key in keys:
        assert emulator.user(key)["is_system_preferred_authentication_method_enabled"] is None  # type: ignore[index]


@pytest.mark.asyncio
async def test_async_client_context_manager(emulator: Emulator, user: str) -> None:
    async with signin_prefs.AsyncClient(token=emulator.token, base_url=emulator.base_url) as client:
        await client.update(user, is_system_preferred_authentication_method_enabled=None)
    state = emulator.user(user)
    assert state is not None
    assert state["is_system_preferred_authentication_method_enabled"] is None
    assert state["user_preferred_method_for_secondary_authentication"] == "sms"
    assert "AsyncClient(" in repr(client)
