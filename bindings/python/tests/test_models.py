"""Models to and from dicts and JSON; the open enum; unknown values read from the wire."""

from __future__ import annotations

import json
import threading
from http.server import BaseHTTPRequestHandler, HTTPServer
from typing import Iterator

import pytest

import signin_prefs
from signin_prefs import SignInPreferences, UserDefaultAuthenticationMethodType
from signin_prefs import _native

Method = UserDefaultAuthenticationMethodType


def test_enum_members_are_the_specs() -> None:
    assert [member.value for member in Method] == _native.USER_DEFAULT_AUTHENTICATION_METHOD_TYPE_MEMBERS


@pytest.mark.parametrize("value", _native.USER_DEFAULT_AUTHENTICATION_METHOD_TYPE_MEMBERS)
def test_every_member_is_a_known_str(value: str) -> None:
    # From the Rust side's list, so a member Microsoft adds is covered with no edit here.
    member = Method(value)
    assert member in list(Method)
    assert isinstance(member, str) and member == value
    assert str(member) == value and f"{member}" == value
    assert member.is_known
    assert repr(member) == f"<UserDefaultAuthenticationMethodType.{member.name}: {value!r}>"


def test_enum_is_a_str_enum() -> None:
    assert isinstance(Method.OATH, str)
    assert Method.OATH == "oath"
    assert Method("voiceMobile") is Method.VOICE_MOBILE
    assert str(Method.VOICE_MOBILE) == "voiceMobile"
    assert f"{Method.SMS}" == "sms"
    assert Method.SMS.is_known


def test_enum_keeps_unknown_values() -> None:
    value = Method("carrierPigeon")
    assert isinstance(value, Method)
    assert isinstance(value, str)
    assert value == "carrierPigeon"
    assert value.value == "carrierPigeon"
    assert not value.is_known
    assert "unknown" in repr(value)
    assert value not in list(Method)
    with pytest.raises(ValueError):
        Method(3)  # type: ignore[arg-type]


def test_model_round_trips_dicts_and_json() -> None:
    wire = {
        "@odata.context": "https://graph.microsoft.com/beta/$metadata#x",
        "isSystemPreferredAuthenticationMethodEnabled": False,
        "userPreferredMethodForSecondaryAuthentication": "carrierPigeon",
        "systemPreferredAuthenticationMethod": "Fido2",
    }
    model = SignInPreferences.from_dict(wire)
    assert model.user_preferred_method_for_secondary_authentication == "carrierPigeon"
    assert model.user_preferred_method_for_secondary_authentication is not None
    assert not model.user_preferred_method_for_secondary_authentication.is_known
    assert model.is_system_preferred_authentication_method_enabled is False
    assert model.to_dict() == wire
    assert SignInPreferences.from_json(model.to_json()) == model
    assert json.loads(model.to_json()) == wire


def test_model_constructor_and_nulls() -> None:
    model = SignInPreferences(user_preferred_method_for_secondary_authentication="push")
    assert model.user_preferred_method_for_secondary_authentication is Method.PUSH
    assert model.is_system_preferred_authentication_method_enabled is None
    assert model.to_dict() == {"userPreferredMethodForSecondaryAuthentication": "push"}
    nulls = SignInPreferences.from_dict(
        {
            "userPreferredMethodForSecondaryAuthentication": None,
            "isSystemPreferredAuthenticationMethodEnabled": None,
        }
    )
    assert nulls == SignInPreferences()
    assert "SignInPreferences(" in repr(nulls)


def test_from_json_wants_an_object_of_the_right_types() -> None:
    with pytest.raises(ValueError, match="object"):
        SignInPreferences.from_json("[1]")
    with pytest.raises(ValueError, match="boolean"):
        SignInPreferences.from_dict({"isSystemPreferredAuthenticationMethodEnabled": "false"})
    with pytest.raises(ValueError, match="string"):
        SignInPreferences.from_dict({"userPreferredMethodForSecondaryAuthentication": 3})


class _FutureGraph(BaseHTTPRequestHandler):
    """A Graph from the future: a default method and a property this build does not know."""

    def do_GET(self) -> None:  # noqa: N802
        body = json.dumps(
            {
                "userPreferredMethodForSecondaryAuthentication": "carrierPigeon",
                "isSystemPreferredAuthenticationMethodEnabled": True,
                "passkeyPreference": {"enabled": True},
            }
        ).encode()
        self.send_response(200)
        self.send_header("content-type", "application/json")
        self.send_header("content-length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args: object) -> None:
        pass


@pytest.fixture()
def future_graph() -> Iterator[str]:
    server = HTTPServer(("127.0.0.1", 0), _FutureGraph)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}"
    server.shutdown()
    server.server_close()


def test_unknown_enum_values_read_from_the_wire_are_kept(future_graph: str) -> None:
    client = signin_prefs.Client(token="t", base_url=future_graph)
    model = client.get("adele@contoso.com")
    method = model.user_preferred_method_for_secondary_authentication
    assert method == "carrierPigeon"
    assert method is not None and not method.is_known
    assert model.additional_properties["passkeyPreference"] == {"enabled": True}
    assert model.to_dict()["userPreferredMethodForSecondaryAuthentication"] == "carrierPigeon"


@pytest.mark.asyncio
async def test_unknown_enum_values_read_async(future_graph: str) -> None:
    client = signin_prefs.AsyncClient(token="t", base_url=future_graph)
    model = await client.get("adele@contoso.com")
    assert model.user_preferred_method_for_secondary_authentication == "carrierPigeon"
