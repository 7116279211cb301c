"""The blocking client against the emulator: reads, updates, UNSET versus None on the wire."""

from __future__ import annotations

import pytest

import signin_prefs
from signin_prefs import UNSET, SignInPreferences, UserDefaultAuthenticationMethodType
from signin_prefs.testing import Emulator


def test_get_returns_the_model(client: signin_prefs.Client, user: str) -> None:
    preferences = client.get(user)
    assert isinstance(preferences, SignInPreferences)
    method = preferences.user_preferred_method_for_secondary_authentication
    assert method is UserDefaultAuthenticationMethodType.SMS
    assert method == "sms"
    assert preferences.is_system_preferred_authentication_method_enabled is True
    # The service's read-only extra and the annotations are kept, not dropped.
    assert preferences.additional_properties["systemPreferredAuthenticationMethod"]
    assert "@odata.context" in preferences.additional_properties


def test_get_by_user_principal_name(client: signin_prefs.Client, emulator: Emulator, user: str) -> None:
    record = emulator.user(user)
    assert record is not None
    by_upn = client.get(record["user_principal_name"])
    by_id = client.get(user)
    # Equal but for `@odata.context`, which names the key the caller used.
    by_upn.additional_properties.pop("@odata.context")
    by_id.additional_properties.pop("@odata.context")
    assert by_upn == by_id


def test_update_sets_the_method(client: signin_prefs.Client, emulator: Emulator, user: str) -> None:
    client.update(user, user_preferred_method_for_secondary_authentication="oath")
    state = emulator.user(user)
    assert state is not None
    assert state["user_preferred_method_for_secondary_authentication"] == "oath"
    assert client.get(user).user_preferred_method_for_secondary_authentication == "oath"


def test_update_takes_the_enum(client: signin_prefs.Client, emulator: Emulator, user: str) -> None:
    client.update(
        user,
        user_preferred_method_for_secondary_authentication=UserDefaultAuthenticationMethodType.PUSH,
    )
    state = emulator.user(user)
    assert state is not None
    assert state["user_preferred_method_for_secondary_authentication"] == "push"


def test_unset_leaves_the_property_alone(
    client: signin_prefs.Client, emulator: Emulator, user: str
) -> None:
    client.update(user, user_preferred_method_for_secondary_authentication="oath")
    state = emulator.user(user)
    assert state is not None
    # The flag was not sent, so the service kept it (True), rather than nulling it.
    assert state["is_system_preferred_authentication_method_enabled"] is True


def test_none_sends_null_where_the_spec_allows_it(
    client: signin_prefs.Client, emulator: Emulator, user: str
) -> None:
    client.update(user, is_system_preferred_authentication_method_enabled=None)
    state = emulator.user(user)
    assert state is not None
    assert state["is_system_preferred_authentication_method_enabled"] is None
    assert state["user_preferred_method_for_secondary_authentication"] == "sms"
    assert client.get(user).is_system_preferred_authentication_method_enabled is None


def test_false_is_not_none(client: signin_prefs.Client, emulator: Emulator, user: str) -> None:
    client.update(user, is_system_preferred_authentication_method_enabled=False)
    state = emulator.user(user)
    assert state is not None
    assert state["is_system_preferred_authentication_method_enabled"] is False


def test_none_is_refused_where_the_spec_does_not_allow_it(
    client: signin_prefs.Client, emulator: Emulator, user: str
) -> None:
    before = emulator.user(user)
    with pytest.raises(signin_prefs.ValidationError, match="non-nullable") as caught:
        client.update(user, user_preferred_method_for_secondary_authentication=None)  # type: ignore[arg-type]
    assert isinstance(caught.value, ValueError)
    assert caught.value.status is None  # refused before anything was sent
    assert emulator.user(user) == before


def test_unknown_enum_value_is_refused_on_input(
    client: signin_prefs.Client, emulator: Emulator, user: str
) -> None:
    before = emulator.user(user)
    with pytest.raises(signin_prefs.ValidationError, match="carrierPigeon"):
        client.update(user, user_preferred_method_for_secondary_authentication="carrierPigeon")
    assert emulator.user(user) == before


def test_wrong_types_are_refused(client: signin_prefs.Client, user: str) -> None:
    with pytest.raises(signin_prefs.ValidationError, match="bool"):
        client.update(user, is_system_preferred_authentication_method_enabled="yes")  # type: ignore[arg-type]
    with pytest.raises(signin_prefs.ValidationError, match="str"):
        client.update(user, user_preferred_method_for_secondary_authentication=3)  # type: ignore[arg-type]


def test_both_properties_in_one_update(
    client: signin_prefs.Client, emulator: Emulator, user: str
) -> None:
    client.update(
        user,
        user_preferred_method_for_secondary_authentication="push",
        is_system_preferred_authentication_method_enabled=False,
    )
    state = emulator.user(user)
    assert state is not None
    assert state["user_preferred_method_for_secondary_authentication"] == "push"
    assert state["is_system_preferred_authentication_method_enabled"] is False


def test_an_update_with_no_property_is_refused_before_sending(
    client: signin_prefs.Client, emulator: Emulator, user: str
) -> None:
    with pytest.raises(signin_prefs.ValidationError, match="nothing to set"):
        client.update(user)


def test_clients_are_context_managers(emulator: Emulator, user: str) -> None:
    with signin_prefs.Client(token=emulator.token, base_url=emulator.base_url) as client:
        assert client.base_url == emulator.base_url
        assert client.get(user).is_system_preferred_authentication_method_enabled is True
    assert "Client(" in repr(client)


def test_unset_is_a_falsy_singleton() -> None:
    assert repr(UNSET) == "UNSET"
    assert not UNSET
    assert UNSET is signin_prefs.Unset.UNSET
    assert UNSET is not None


def test_a_credential_or_token_is_required() -> None:
    with pytest.raises(TypeError, match="credential"):
        signin_prefs.Client(base_url="http://127.0.0.1:1")
    with pytest.raises(TypeError, match="not both"):
        signin_prefs.Client(StaticCredential(), token="t", base_url="http://127.0.0.1:1")
    with pytest.raises(TypeError, match="no get_token"):
        signin_prefs.Client(object(), base_url="http://127.0.0.1:1")


class StaticCredential:
    def get_token(self, *scopes: str) -> str:
        return "t"


def test_unknown_cloud_is_refused() -> None:
    with pytest.raises(ValueError, match="cloud"):
        signin_prefs.Client(token="t", cloud="mars")


@pytest.mark.parametrize(
    "keyword", ["write_budget", "tenant_write_budget", "read_budget", "reports_budget"]
)
def test_a_budget_is_read_as_the_cli_reads_it(keyword: str, emulator: Emulator) -> None:
    # `unknown` (learned from refusals) and a figure are taken; anything else is refused by name.
    for setting in ["unknown", "Unknown", "3000/150s", "8000/10"]:
        client = emulator.client(**{keyword: setting})
        assert client.get(emulator.user_at(0)["id"]) is not None
    with pytest.raises(signin_prefs.ValidationError, match=f"{keyword}: .*not a budget"):
        emulator.client(**{keyword: "fast"})


def test_national_clouds_pick_their_graph_host() -> None:
    assert signin_prefs.Client(token="t").base_url == "https://graph.microsoft.com"
    assert signin_prefs.Client(token="t", cloud="usgov").base_url == "https://graph.microsoft.us"
    assert (
        signin_prefs.Client(token="t", cloud="china").base_url
        == "https://microsoftgraph.chinacloudapi.cn"
    )
