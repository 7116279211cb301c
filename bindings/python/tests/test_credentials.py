"""Credentials: azure-identity's shape (sync and async), static tokens, failures."""

from __future__ import annotations

import time
from typing import Any, List, NamedTuple, Tuple

import pytest

import signin_prefs
from signin_prefs.testing import Emulator


class Token(NamedTuple):
    """The shape of azure.core.credentials.AccessToken."""

    token: str
    expires_on: int


class SyncCredential:
    """A test double for a synchronous azure-identity credential."""

    def __init__(self, token: str) -> None:
        self.token = token
        self.calls: List[Tuple[str, ...]] = []

    def get_token(self, *scopes: str, **kwargs: Any) -> Token:
        self.calls.append(scopes)
        return Token(self.token, int(time.time()) + 3600)


class AsyncCredential:
    """A test double for an azure.identity.aio credential."""

    def __init__(self, token: str) -> None:
        self.token = token
        self.calls: List[Tuple[str, ...]] = []

    async def get_token(self, *scopes: str, **kwargs: Any) -> Token:
        self.calls.append(scopes)
        return Token(self.token, int(time.time()) + 3600)


class FailingCredential:
    def get_token(self, *scopes: str) -> Token:
        raise RuntimeError("no managed identity here")


class AsyncFailingCredential:
    async def get_token(self, *scopes: str) -> Token:
        raise RuntimeError("az login first")


def test_sync_credential_is_called_with_the_scope_and_cached(emulator: Emulator, user: str) -> None:
    credential = SyncCredential(emulator.token)
    client = signin_prefs.Client(credential, base_url=emulator.base_url)
    client.get(user)
    client.update(user, is_system_preferred_authentication_method_enabled=False)
    assert credential.calls == [("https://graph.microsoft.com/.default",)]


def test_explicit_scopes_are_passed(emulator: Emulator, user: str) -> None:
    credential = SyncCredential(emulator.token)
    client = signin_prefs.Client(credential, base_url=emulator.base_url, scopes=["api://x/.default"])
    client.get(user)
    assert credential.calls == [("api://x/.default",)]


@pytest.mark.asyncio
async def test_async_credential_in_the_async_client(emulator: Emulator, user: str) -> None:
    credential = AsyncCredential(emulator.token)
    client = signin_prefs.AsyncClient(credential, base_url=emulator.base_url)
    assert (await client.get(user)).user_preferred_method_for_secondary_authentication == "sms"
    await client.update(user, user_preferred_method_for_secondary_authentication="oath")
    assert emulator.user(user)["user_preferred_method_for_secondary_authentication"] == "oath"  # type: ignore[index]
    assert len(credential.calls) == 1


@pytest.mark.asyncio
async def test_sync_credential_in_the_async_client(emulator: Emulator, user: str) -> None:
    credential = SyncCredential(emulator.token)
    client = signin_prefs.AsyncClient(credential, base_url=emulator.base_url)
    assert (await client.get(user)).is_system_preferred_authentication_method_enabled is True
    assert len(credential.calls) == 1


def test_async_credential_is_refused_by_the_sync_client(emulator: Emulator) -> None:
    with pytest.raises(TypeError, match="AsyncClient"):
        signin_prefs.Client(AsyncCredential(emulator.token), base_url=emulator.base_url)


def test_a_bare_string_token_is_accepted(emulator: Emulator, user: str) -> None:
    class StringCredential:
        def get_token(self, *scopes: str) -> str:
            return emulator.token

    client = signin_prefs.Client(StringCredential(), base_url=emulator.base_url)
    assert client.get(user).is_system_preferred_authentication_method_enabled is True


def test_credential_failure_is_an_authentication_error(emulator: Emulator, user: str) -> None:
    client = signin_prefs.Client(FailingCredential(), base_url=emulator.base_url)
    with pytest.raises(signin_prefs.AuthenticationError, match="managed identity") as caught:
        client.get(user)
    assert isinstance(caught.value.__cause__, RuntimeError)


@pytest.mark.asyncio
async def test_async_credential_failure_is_an_authentication_error(
    emulator: Emulator, user: str
) -> None:
    client = signin_prefs.AsyncClient(AsyncFailingCredential(), base_url=emulator.base_url)
    with pytest.raises(signin_prefs.AuthenticationError, match="az login") as caught:
        await client.get(user)
    assert isinstance(caught.value.__cause__, RuntimeError)


def test_a_wrong_token_object_is_an_authentication_error(emulator: Emulator, user: str) -> None:
    class Broken:
        def get_token(self, *scopes: str) -> int:
            return 42

    client = signin_prefs.Client(Broken(), base_url=emulator.base_url)
    with pytest.raises(signin_prefs.AuthenticationError) as caught:
        client.get(user)
    assert isinstance(caught.value.__cause__, AttributeError)


def test_real_azure_core_access_token(emulator: Emulator, user: str) -> None:
    credentials = pytest.importorskip("azure.core.credentials")

    class AzureShaped:
        def get_token(self, *scopes: str, **kwargs: Any) -> Any:
            return credentials.AccessToken(emulator.token, int(time.time()) + 3600)

    client = signin_prefs.Client(AzureShaped(), base_url=emulator.base_url)
    assert client.get(user).is_system_preferred_authentication_method_enabled is True
