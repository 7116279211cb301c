"""Shared fixtures: one emulator per session; each test resets the users it touches."""

from __future__ import annotations

import asyncio
import socket
from typing import Iterator, Optional

import pytest

import signin_prefs
from signin_prefs.testing import Emulator


@pytest.fixture(scope="session")
def emulator() -> Iterator[Emulator]:
    with Emulator(users=200, seed=7) as running:
        yield running


@pytest.fixture(autouse=True)
def _no_faults(emulator: Emulator) -> Iterator[None]:
    emulator.clear_faults()
    yield
    emulator.clear_faults()


@pytest.fixture()
def client(emulator: Emulator) -> signin_prefs.Client:
    return emulator.client()


@pytest.fixture()
def async_client(emulator: Emulator) -> signin_prefs.AsyncClient:
    return emulator.async_client()


_next_user = iter(range(1, 10_000))


@pytest.fixture()
def user(emulator: Emulator) -> str:
    """A user of its own for the test, with phone and authenticator app registered, default
    method `sms` and system-preferred MFA on."""
    index = next(_next_user) % emulator.user_count
    record = emulator.user_at(index)
    assert record is not None
    emulator.set_user_state(
        record["id"],
        methods=["mobilePhone", "softwareOath", "microsoftAuthenticator"],
        preferred="sms",
        system_preferred=True,
    )
    return str(record["id"])


@pytest.fixture()
def closed_port() -> int:
    """A loopback port nothing listens on."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
    return port


class Heartbeat:
    """A coroutine that ticks every 5 ms on the running loop once started: it counts only while
    the loop is free, so a call that blocked the loop would stop it."""

    def __init__(self) -> None:
        self.ticks = 0
        self._task: Optional[asyncio.Future[None]] = None

    def start(self) -> None:
        self._task = asyncio.ensure_future(self._beat())

    async def _beat(self) -> None:
        while True:
            self.ticks += 1
            await asyncio.sleep(0.005)

    def stop(self) -> None:
        if self._task is not None:
            self._task.cancel()


@pytest.fixture()
def heartbeat() -> Iterator[Heartbeat]:
    beating = Heartbeat()
    yield beating
    beating.stop()
