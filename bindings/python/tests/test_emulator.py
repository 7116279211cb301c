"""The emulator started from Python, for users' own tests."""

from __future__ import annotations

from typing import Any, Dict

import pytest

import signin_prefs
from signin_prefs.testing import READ_WRITE, Emulator


def test_context_manager_gives_base_url_and_token() -> None:
    with Emulator(users=3, seed=1) as emulator:
        base_url, token = emulator
        assert base_url.startswith("http://127.0.0.1:")
        assert token
        client = signin_prefs.Client(token=token, base_url=base_url)
        first = emulator.user_at(0)
        assert first is not None
        assert emulator.user_count == 3
        assert client.get(first["id"]) is not None
    with pytest.raises(RuntimeError, match="shut down"):
        emulator.user_at(0)
    with pytest.raises(signin_prefs.TransportError):
        signin_prefs.Client(token=token, base_url=base_url, max_attempts=1).get(first["id"])
    emulator.shutdown()  # idempotent


def test_seeding_is_deterministic() -> None:
    with Emulator(users=2, seed=42) as one, Emulator(users=5, seed=42) as other:
        assert one.user_at(1) == other.user_at(1)
        assert one.user_at(2) is None


def test_tenant_details(emulator: Emulator) -> None:
    client_id, secret = emulator.client_credentials
    assert client_id and secret
    assert emulator.tenant_id in emulator.token_url
    assert "Emulator(" in repr(emulator)


def test_delegated_tokens(emulator: Emulator, user: str) -> None:
    record = emulator.user(user)
    assert record is not None
    token = emulator.mint_token(scopes=[READ_WRITE], user=record["user_principal_name"])
    client = signin_prefs.Client(token=token, base_url=emulator.base_url)
    client.update(user, is_system_preferred_authentication_method_enabled=False)
    assert emulator.user(user)["is_system_preferred_authentication_method_enabled"] is False  # type: ignore[index]


def test_state_setting_is_checked(emulator: Emulator, user: str) -> None:
    with pytest.raises(ValueError, match="known"):
        emulator.set_user_state(user, methods=["carrierPigeon"])
    with pytest.raises(ValueError):
        emulator.set_user_state(user, preferred="carrierPigeon")
    with pytest.raises(ValueError, match="no user"):
        emulator.set_user_state("nobody@example.com", preferred="sms")
    with pytest.raises(ValueError, match="route"):
        emulator.add_fault("nowhere", "reset")
    with pytest.raises(ValueError, match="fault"):
        emulator.add_fault("get", "explode")
    state = emulator.set_user_state(user, preferred=None, system_preferred=None)
    assert state["user_preferred_method_for_secondary_authentication"] is None
    assert "softwareOath" in state["methods"]


@pytest.mark.parametrize(
    ("settings", "named"),
    [({"writes_per_150s": 0}, "writes_per_150s"), ({"time_scale": 0.0}, "time_scale")],
)
def test_a_budget_or_clock_that_cannot_be_is_refused_naming_it(
    settings: Dict[str, Any], named: str
) -> None:
    with pytest.raises(ValueError, match=named):
        Emulator(users=1, **settings)
