"""`Client.from_env()`: the credential chosen from the environment exactly as the CLI chooses it."""

from __future__ import annotations

from pathlib import Path

import pytest

import signin_prefs
from signin_prefs.testing import Emulator

_ALL_SETTINGS = [
    "SIGNIN_PREFS_TOKEN",
    "SIGNIN_PREFS_TOKEN_FILE",
    "SIGNIN_PREFS_CLIENT_SECRET",
    "SIGNIN_PREFS_CLIENT_SECRET_FILE",
    "SIGNIN_PREFS_CREDENTIAL",
    "SIGNIN_PREFS_TENANT_ID",
    "SIGNIN_PREFS_CLIENT_ID",
    "SIGNIN_PREFS_BASE_URL",
    "SIGNIN_PREFS_LOGIN_AUTHORITY",
    "AZURE_TENANT_ID",
    "AZURE_CLIENT_ID",
    "AZURE_CLIENT_SECRET",
    "AZURE_CLIENT_CERTIFICATE_PATH",
    "AZURE_FEDERATED_TOKEN_FILE",
    "AZURE_AUTHORITY_HOST",
    "IDENTITY_ENDPOINT",
    "IDENTITY_HEADER",
    "SIGNIN_PREFS_CONFIG",
    "SIGNIN_PREFS_PROFILE",
]


@pytest.fixture()
def clean_env(monkeypatch: pytest.MonkeyPatch, tmp_path: object) -> pytest.MonkeyPatch:
    for name in _ALL_SETTINGS:
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("SIGNIN_PREFS_TOKEN_CACHE", f"{tmp_path}/no-cache.json")
    # The default config file is looked for here, never in the home of whoever runs the tests.
    monkeypatch.setenv("XDG_CONFIG_HOME", f"{tmp_path}/config-home")
    return monkeypatch


def test_the_azure_sdk_variables_give_a_client_secret_credential(
    emulator: Emulator, user: str, clean_env: pytest.MonkeyPatch
) -> None:
    client_id, secret = emulator.client_credentials
    clean_env.setenv("SIGNIN_PREFS_BASE_URL", emulator.base_url)
    clean_env.setenv("AZURE_TENANT_ID", emulator.tenant_id)
    clean_env.setenv("AZURE_CLIENT_ID", client_id)
    clean_env.setenv("AZURE_CLIENT_SECRET", secret)
    for cls in (signin_prefs.Client, signin_prefs.AsyncClient):
        client = cls.from_env()
        assert client.credential_choice == ("secret", "AZURE_CLIENT_SECRET is set")
        assert client.base_url == emulator.base_url
    assert signin_prefs.Client.from_env().get(user).is_system_preferred_authentication_method_enabled


def test_a_wrong_secret_is_refused_naming_the_credential_and_what_to_do(
    emulator: Emulator, user: str, clean_env: pytest.MonkeyPatch
) -> None:
    client_id, _ = emulator.client_credentials
    clean_env.setenv("SIGNIN_PREFS_BASE_URL", emulator.base_url)
    clean_env.setenv("AZURE_TENANT_ID", emulator.tenant_id)
    clean_env.setenv("AZURE_CLIENT_ID", client_id)
    clean_env.setenv("SIGNIN_PREFS_CLIENT_SECRET", "a-wrong-secret-1234567")
    with pytest.raises(signin_prefs.SignInPreferencesError) as raised:
        signin_prefs.Client.from_env().get(user)
    text = str(raised.value)
    assert "secret credential" in text and "create a new one" in text
    assert "a-wrong-secret-1234567" not in text


def test_a_token_wins_and_nothing_configured_says_what_to_set(
    emulator: Emulator, user: str, clean_env: pytest.MonkeyPatch
) -> None:
    with pytest.raises(signin_prefs.ConfigurationError, match="no credential configured"):
        signin_prefs.Client.from_env()
    clean_env.setenv("SIGNIN_PREFS_BASE_URL", emulator.base_url)
    clean_env.setenv("SIGNIN_PREFS_TOKEN", emulator.token)
    client = signin_prefs.Client.from_env()
    assert client.credential_choice == ("token", "SIGNIN_PREFS_TOKEN is set")
    client.get(user)
    assert signin_prefs.Client(token=emulator.token, base_url=emulator.base_url).credential_choice is None


def _profiles(emulator: Emulator, folder: Path) -> Path:
    """A config file with a profile `emu` reaching the emulator, and one `other` that does not."""
    token = folder / "emu.token"
    token.write_text(emulator.token)
    config = folder / "config.toml"
    config.write_text(
        f'''[profiles.emu]
tenant_id = "{emulator.tenant_id}"
base_url = "{emulator.base_url}"
token_file = "{token}"

[profiles.other]
base_url = "http://127.0.0.1:9"
token_file = "{token}"
'''
    )
    return config


def test_a_named_profile_is_read_by_the_cli_s_rules(
    emulator: Emulator, user: str, clean_env: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    config = _profiles(emulator, tmp_path)
    client = signin_prefs.Client.from_env(profile="emu", config=config)
    assert client.base_url == emulator.base_url
    assert client.credential_choice is not None and client.credential_choice[0] == "token"
    client.get(user)
    # The same by the environment, and from the default location.
    default = tmp_path / "config-home" / "signin-prefs"
    default.mkdir(parents=True)
    (default / "config.toml").write_text(config.read_text())
    clean_env.setenv("SIGNIN_PREFS_PROFILE", "emu")
    assert signin_prefs.AsyncClient.from_env().base_url == emulator.base_url


def test_a_profile_is_never_silently_overridden(
    emulator: Emulator, clean_env: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    config = _profiles(emulator, tmp_path)
    with pytest.raises(signin_prefs.ConfigurationError, match="other, emu|emu, other"):
        signin_prefs.Client.from_env(profile="northwind", config=config)
    with pytest.raises(signin_prefs.ConfigurationError, match='profile name "../x"'):
        signin_prefs.Client.from_env(profile="../x", config=config)
    clean_env.setenv("AZURE_TENANT_ID", "someone-else")
    with pytest.raises(signin_prefs.ConfigurationError, match="sets tenant_id .* AZURE_TENANT_ID"):
        signin_prefs.Client.from_env(profile="emu", config=config)
    clean_env.delenv("AZURE_TENANT_ID")
    clean_env.setenv("SIGNIN_PREFS_TOKEN", "an-ambient-token-123456")
    with pytest.raises(signin_prefs.ConfigurationError) as raised:
        signin_prefs.Client.from_env(profile="emu", config=config)
    assert "SIGNIN_PREFS_TOKEN" in str(raised.value)
    assert "an-ambient-token-123456" not in str(raised.value)
