"""Shared fixtures: one emulator per session; each test resets the users it touches."""

from __future__ import annotations

import asyncio
import socket
from pathlib import Path
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


#: Every setting that could choose a credential or a service other than the one a test sets.
_CONNECTION_SETTINGS = [
    "SIGNIN_PREFS_TOKEN",
    "SIGNIN_PREFS_TOKEN_FILE",
    "SIGNIN_PREFS_CLIENT_SECRET",
    "SIGNIN_PREFS_CLIENT_SECRET_FILE",
    "SIGNIN_PREFS_CREDENTIAL",
    "SIGNIN_PREFS_TENANT_ID",
    "SIGNIN_PREFS_CLIENT_ID",
    "SIGNIN_PREFS_BASE_URL",
    "SIGNIN_PREFS_LOGIN_AUTHORITY",
    "SIGNIN_PREFS_CA_FILE",
    "SIGNIN_PREFS_CONFIG",
    "SIGNIN_PREFS_PROFILE",
    "SIGNIN_PREFS_CLIENT_CERTIFICATE_PATH",
    "SIGNIN_PREFS_FEDERATED_TOKEN_FILE",
    "AZURE_TENANT_ID",
    "AZURE_CLIENT_ID",
    "AZURE_CLIENT_SECRET",
    "AZURE_CLIENT_CERTIFICATE_PATH",
    "AZURE_FEDERATED_TOKEN_FILE",
    "AZURE_AUTHORITY_HOST",
    "AZURE_POD_IDENTITY_AUTHORITY_HOST",
    "IDENTITY_ENDPOINT",
    "IDENTITY_HEADER",
]


@pytest.fixture()
def clean_env(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> pytest.MonkeyPatch:
    """No connection setting from the environment of whoever runs the tests: a private token
    cache, and the default config file looked for under ``tmp_path``."""
    for name in _CONNECTION_SETTINGS:
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("SIGNIN_PREFS_TOKEN_CACHE", str(tmp_path / "cache" / "tokens.json"))
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path / "config-home"))
    return monkeypatch


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
