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
from signin_prefs.testing import Emulator

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


def test_the_same_user_read_by_id_and_by_upn_is_equal(emulator: Emulator, user: str) -> None:
    record = emulator.user(user)
    assert record is not None
    client = emulator.client()
    by_id, by_upn = client.get(user), client.get(record["user_principal_name"])
    # The reads differ in their annotations (the context names the key) and in nothing else.
    assert by_id.to_dict() != by_upn.to_dict()
    assert {key for key in by_id.to_dict() if "@" in key}
    assert by_id == by_upn and not by_id != by_upn
    emulator.set_user_state(
        user, methods=["mobilePhone", "softwareOath"], preferred="oath", system_preferred=True
    )
    assert client.get(record["user_principal_name"]) != by_id


@pytest.mark.asyncio
async def test_the_async_reads_are_values_too(emulator: Emulator, user: str) -> None:
    record = emulator.user(user)
    assert record is not None
    client = emulator.async_client()
    assert await client.get(user) == await client.get(record["user_principal_name"])
    assert await client.get(user) == emulator.client().get(user)


def test_a_read_shows_and_compares_its_unknown_properties(emulator: Emulator, user: str) -> None:
    model = emulator.client().get(user)
    unknown = {
        key: value for key, value in model.additional_properties.items() if "@" not in key
    }
    # The emulator, as Graph, answers with the read-only system-preferred method too.
    assert "systemPreferredAuthenticationMethod" in unknown
    shown = repr(model)
    assert f"additional_properties={unknown!r}" in shown
    assert "@odata" not in shown
    changed = SignInPreferences.from_dict(
        {**model.to_dict(), "systemPreferredAuthenticationMethod": "somethingElse"}
    )
    assert changed != model


def test_equality_ignores_annotations_and_nothing_else() -> None:
    base = {
        "userPreferredMethodForSecondaryAuthentication": "oath",
        "isSystemPreferredAuthenticationMethodEnabled": True,
        "passkeyPreference": {"enabled": True},
    }
    model = SignInPreferences.from_dict(base)
    for annotation in ("@odata.context", "@odata.type", "passkeyPreference@odata.type",
                       "@microsoft.graph.tips"):
        assert SignInPreferences.from_dict({**base, annotation: "x"}) == model
    for key, value in (
        ("userPreferredMethodForSecondaryAuthentication", "sms"),
        ("isSystemPreferredAuthenticationMethodEnabled", False),
        ("passkeyPreference", {"enabled": False}),
        ("somethingNew", 1),
    ):
        assert SignInPreferences.from_dict({**base, key: value}) != model
    assert model != base  # a model is not its dict
    assert (model == base) is False and model.__eq__(base) is NotImplemented


def test_models_are_not_hashable() -> None:
    model = SignInPreferences(user_preferred_method_for_secondary_authentication="push")
    with pytest.raises(TypeError, match="unhashable"):
        hash(model)
    assert SignInPreferences.__hash__ is None


def test_json_dumps_goes_through_to_dict_and_to_json(emulator: Emulator, user: str) -> None:
    model = emulator.client().get(user)
    assert json.loads(json.dumps(model.to_dict())) == model.to_dict()
    assert json.loads(model.to_json()) == model.to_dict()
    assert SignInPreferences.from_json(model.to_json(indent=2)) == model
    assert "\n" in model.to_json(indent=2)
    with pytest.raises(TypeError):
        json.dumps(model)  # the documented way is to_dict()/to_json()


@pytest.mark.parametrize("value", ["no", "true", 0, 1, [], {}])
def test_the_constructor_refuses_a_flag_that_is_not_a_bool(value: object) -> None:
    with pytest.raises(TypeError, match="is_system_preferred_authentication_method_enabled must be a bool or None"):
        SignInPreferences(is_system_preferred_authentication_method_enabled=value)  # type: ignore[arg-type]


@pytest.mark.parametrize("value", [3, 2.5, b"sms", ["sms"], True])
def test_the_constructor_refuses_a_method_that_is_not_a_str(value: object) -> None:
    with pytest.raises(TypeError, match="user_preferred_method_for_secondary_authentication must be"):
        SignInPreferences(user_preferred_method_for_secondary_authentication=value)  # type: ignore[arg-type]


@pytest.mark.parametrize("value", ["sms2", "SMS", "", "carrierPigeon"])
def test_the_constructor_refuses_a_string_that_is_not_a_method(value: str) -> None:
    with pytest.raises(ValueError, match="user_preferred_method_for_secondary_authentication") as raised:
        SignInPreferences(user_preferred_method_for_secondary_authentication=value)  # type: ignore[arg-type]
    for member in Method:
        assert repr(member.value) in str(raised.value)


@pytest.mark.parametrize("value", _native.USER_DEFAULT_AUTHENTICATION_METHOD_TYPE_MEMBERS)
def test_the_constructor_takes_every_member_and_its_value(value: str) -> None:
    assert SignInPreferences(user_preferred_method_for_secondary_authentication=Method(value)) == (
        SignInPreferences(user_preferred_method_for_secondary_authentication=value)  # type: ignore[arg-type]
    )
    # An unknown value as read is still a member, so a read model can be copied.
    kept = Method("carrierPigeon")
    copy = SignInPreferences(user_preferred_method_for_secondary_authentication=kept)
    assert copy.user_preferred_method_for_secondary_authentication is not None
    assert not copy.user_preferred_method_for_secondary_authentication.is_known
