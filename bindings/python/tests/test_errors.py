"""Every exception kind, sync and async, with status, Graph code, message and request-id."""

from __future__ import annotations

import asyncio
from typing import Any, Callable, Type

import pytest

import signin_prefs
from signin_prefs import (
    AuthenticationError,
    ConfigurationError,
    NotFoundError,
    PermissionDeniedError,
    RequestTimeoutError,
    ServiceError,
    SignInPreferencesError,
    ThrottledError,
    TransportError,
    ValidationError,
)
from signin_prefs.testing import READ_ALL, Emulator


def _sync_get(client: Any, user: str) -> Any:
    return client.get(user)


def _async_get(client: Any, user: str) -> Any:
    return asyncio.run(client.get(user))


def _sync_update(client: Any, user: str, **fields: Any) -> Any:
    return client.update(user, **fields)


def _async_update(client: Any, user: str, **fields: Any) -> Any:
    return asyncio.run(client.update(user, **fields))


MODES = [
    pytest.param((signin_prefs.Client, _sync_get, _sync_update), id="sync"),
    pytest.param((signin_prefs.AsyncClient, _async_get, _async_update), id="async"),
]


def _assert_graph_error(error: SignInPreferencesError, status: int) -> None:
    assert error.status == status
    assert error.code
    assert error.message and error.message in str(error)
    assert error.request_id and error.request_id in str(error)
    assert error.client_request_id


@pytest.mark.parametrize("mode", MODES)
def test_not_found(mode: Any, emulator: Emulator) -> None:
    make, get, _ = mode
    client = make(token=emulator.token, base_url=emulator.base_url)
    with pytest.raises(NotFoundError) as caught:
        get(client, "nobody@contoso.onmicrosoft.com")
    _assert_graph_error(caught.value, 404)
    assert caught.value.kind == "NotFound"


@pytest.mark.parametrize("mode", MODES)
def test_unauthenticated(mode: Any, emulator: Emulator, user: str) -> None:
    make, get, _ = mode
    expired = emulator.mint_token(roles=["UserAuthenticationMethod.ReadWrite.All"], expires_in=0)
    client = make(token=expired, base_url=emulator.base_url, max_attempts=1)
    with pytest.raises(AuthenticationError) as caught:
        get(client, user)
    _assert_graph_error(caught.value, 401)


@pytest.mark.parametrize("mode", MODES)
def test_permission_denied(mode: Any, emulator: Emulator, user: str) -> None:
    make, _, update = mode
    read_only = emulator.mint_token(roles=[READ_ALL])
    client = make(token=read_only, base_url=emulator.base_url)
    before = emulator.user(user)
    with pytest.raises(PermissionDeniedError) as caught:
        update(client, user, is_system_preferred_authentication_method_enabled=False)
    _assert_graph_error(caught.value, 403)
    assert emulator.user(user) == before


@pytest.mark.parametrize("mode", MODES)
def test_validation_from_the_service(mode: Any, emulator: Emulator, user: str) -> None:
    make, _, update = mode
    client = make(token=emulator.token, base_url=emulator.base_url)
    with pytest.raises(ValidationError) as caught:
        update(client, user, user_preferred_method_for_secondary_authentication="voiceOffice")
    _assert_graph_error(caught.value, 400)
    assert isinstance(caught.value, ValueError)
    assert "voiceOffice" in caught.value.message


@pytest.mark.parametrize("mode", MODES)
def test_throttled_when_retries_run_out(mode: Any, emulator: Emulator, user: str) -> None:
    make, get, _ = mode
    emulator.add_fault("get", "unavailable", user=user, seconds=0)
    client = make(token=emulator.token, base_url=emulator.base_url, max_attempts=2)
    with pytest.raises(ThrottledError) as caught:
        get(client, user)
    _assert_graph_error(caught.value, 503)


@pytest.mark.parametrize("mode", MODES)
def test_retries_recover_from_a_transient_fault(mode: Any, emulator: Emulator, user: str) -> None:
    make, get, _ = mode
    emulator.add_fault("get", "unavailable", user=user, seconds=0, times=1)
    client = make(token=emulator.token, base_url=emulator.base_url, max_attempts=3)
    assert get(client, user).user_preferred_method_for_secondary_authentication == "sms"


@pytest.mark.parametrize("mode", MODES)
def test_timeout(mode: Any, emulator: Emulator, user: str) -> None:
    make, get, _ = mode
    emulator.add_fault("get", "delay", user=user, seconds=3)
    client = make(token=emulator.token, base_url=emulator.base_url, timeout=0.2, max_attempts=1)
    with pytest.raises(RequestTimeoutError) as caught:
        get(client, user)
    assert isinstance(caught.value, TimeoutError)
    assert caught.value.kind == "Timeout"


@pytest.mark.parametrize("mode", MODES)
def test_transport_refused(mode: Any, closed_port: int) -> None:
    make, get, _ = mode
    client = make(token="t", base_url=f"http://127.0.0.1:{closed_port}", max_attempts=1)
    with pytest.raises(TransportError) as caught:
        get(client, "adele@contoso.com")
    assert isinstance(caught.value, ConnectionError)
    assert caught.value.status is None


@pytest.mark.parametrize("mode", MODES)
def test_transport_reset(mode: Any, emulator: Emulator, user: str) -> None:
    make, get, _ = mode
    emulator.add_fault("get", "reset", user=user)
    client = make(token=emulator.token, base_url=emulator.base_url, max_attempts=1)
    with pytest.raises(TransportError):
        get(client, user)


@pytest.mark.parametrize("mode", MODES)
def test_malformed_response(mode: Any, emulator: Emulator, user: str) -> None:
    make, get, _ = mode
    emulator.add_fault("get", "malformed", user=user)
    client = make(token=emulator.token, base_url=emulator.base_url, max_attempts=1)
    with pytest.raises(ServiceError):
        get(client, user)


def test_plain_http_to_a_remote_host_is_a_configuration_error() -> None:
    with pytest.raises(ConfigurationError) as caught:
        signin_prefs.Client(token="t", base_url="http://graph.example.com")
    assert isinstance(caught.value, ValueError)


@pytest.mark.parametrize(
    "cls",
    [
        AuthenticationError,
        PermissionDeniedError,
        NotFoundError,
        ValidationError,
        ThrottledError,
        RequestTimeoutError,
        TransportError,
        ServiceError,
        ConfigurationError,
        signin_prefs.BulkError,
    ],
)
def test_one_hierarchy(cls: Type[SignInPreferencesError]) -> None:
    assert issubclass(cls, SignInPreferencesError)
    error = cls("text", status="404", code="c", request_id="r")
    assert error.status == 404 and error.code == "c" and error.request_id == "r"
    assert error.message == "text"


def test_errors_can_be_caught_as_the_base(client: signin_prefs.Client) -> None:
    catch: Callable[[], object] = lambda: client.get("nobody@contoso.onmicrosoft.com")
    with pytest.raises(SignInPreferencesError):
        catch()
