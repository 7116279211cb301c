"""Every credential kind from Python, end to end against the emulator: `Client.from_env` chooses
it from the same settings as the CLI, reads a user with it, and a refused one names its kind and
what to do; `login` keeps an administrator's device-code sign-in; an HTTPS emulator is trusted
through its CA file alone."""

from __future__ import annotations

import os
import stat
import threading
import time
from pathlib import Path
from typing import List

import pytest

import signin_prefs
from signin_prefs.testing import Emulator

_TESTDATA = Path(__file__).resolve().parents[3] / "crates" / "signin-prefs-client" / "testdata"

def _app(emulator: Emulator, clean_env: pytest.MonkeyPatch) -> str:
    """Points the settings at the emulator's tenant and default app; the app's client id."""
    client_id, _ = emulator.client_credentials
    clean_env.setenv("SIGNIN_PREFS_BASE_URL", emulator.base_url)
    clean_env.setenv("AZURE_TENANT_ID", emulator.tenant_id)
    clean_env.setenv("AZURE_CLIENT_ID", client_id)
    return client_id


def _reads_as(kind: str, user: str) -> None:
    client = signin_prefs.Client.from_env()
    assert client.credential_choice is not None and client.credential_choice[0] == kind
    assert client.get(user).user_preferred_method_for_secondary_authentication is not None


def test_a_certificate_registered_with_the_app_signs_in(
    emulator: Emulator, user: str, clean_env: pytest.MonkeyPatch
) -> None:
    pem = _TESTDATA / "test-only-cert-and-key.pem"
    client_id = _app(emulator, clean_env)
    clean_env.setenv("AZURE_CLIENT_CERTIFICATE_PATH", str(pem))
    with pytest.raises(signin_prefs.SignInPreferencesError) as refused:
        signin_prefs.Client.from_env().get(user)
    assert "certificate credential" in str(refused.value)
    assert "uploaded to the app registration" in str(refused.value)
    emulator.register_certificate(client_id, pem.read_text())
    _reads_as("certificate", user)


def test_a_federated_token_file_signs_in_until_it_expires(
    emulator: Emulator, user: str, clean_env: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    client_id = _app(emulator, clean_env)
    token_file = tmp_path / "federated-token"
    token_file.write_text(emulator.federated_token(client_id))
    clean_env.setenv("AZURE_FEDERATED_TOKEN_FILE", str(token_file))
    _reads_as("workload-identity", user)
    token_file.write_text(emulator.federated_token(client_id, lifetime=0))
    with pytest.raises(signin_prefs.SignInPreferencesError) as refused:
        signin_prefs.Client.from_env().get(user)
    assert "workload-identity credential" in str(refused.value)
    assert "federated identity credential" in str(refused.value)


def test_a_managed_identity_signs_in_on_app_service_and_on_a_vm(
    emulator: Emulator, user: str, clean_env: pytest.MonkeyPatch
) -> None:
    clean_env.setenv("SIGNIN_PREFS_BASE_URL", emulator.base_url)
    clean_env.setenv("IDENTITY_ENDPOINT", emulator.identity_endpoint)
    clean_env.setenv("IDENTITY_HEADER", emulator.identity_header)
    _reads_as("managed-identity", user)
    clean_env.delenv("IDENTITY_ENDPOINT")
    clean_env.delenv("IDENTITY_HEADER")
    # A VM's identity cannot be seen from the environment: it is named.
    clean_env.setenv("SIGNIN_PREFS_CREDENTIAL", "managed-identity")
    clean_env.setenv("AZURE_POD_IDENTITY_AUTHORITY_HOST", emulator.base_url)
    _reads_as("managed-identity", user)
    assert emulator.imds_url.startswith(emulator.base_url)


def test_login_keeps_an_administrator_s_sign_in_that_later_clients_use(
    clean_env: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    with Emulator(users=5, device_code_interval=0) as emulator:
        _app(emulator, clean_env)
        user = emulator.user_at(1)
        assert user is not None
        with pytest.raises(signin_prefs.ConfigurationError, match="no credential configured"):
            signin_prefs.Client.from_env()
        prompts: List[signin_prefs.DeviceCodePrompt] = []
        kept = signin_prefs.login(prompt=prompts.append)
        assert kept == str(tmp_path / "cache" / "tokens.json")
        assert stat.S_IMODE(os.stat(kept).st_mode) == 0o600
        assert len(prompts) == 1 and prompts[0].user_code in prompts[0].message
        _reads_as("device-code", user["id"])
        assert signin_prefs.logout() is True
        assert signin_prefs.logout() is False
        with pytest.raises(signin_prefs.ConfigurationError, match="no credential configured"):
            signin_prefs.Client.from_env()


def test_a_device_code_waits_for_its_approval_and_a_declined_one_fails(
    clean_env: pytest.MonkeyPatch,
) -> None:
    with Emulator(users=5, device_code_approval="manual", device_code_interval=0) as emulator:
        _app(emulator, clean_env)
        admin = emulator.user_at(0)
        assert admin is not None
        for approve in (True, False):
            prompts: List[signin_prefs.DeviceCodePrompt] = []
            outcome: List[object] = []

            def sign_in() -> None:
                try:
                    outcome.append(signin_prefs.login(prompt=prompts.append))
                except signin_prefs.SignInPreferencesError as error:
                    outcome.append(error)

            thread = threading.Thread(target=sign_in)
            thread.start()
            deadline = time.monotonic() + 30
            while not emulator.pending_device_codes() and time.monotonic() < deadline:
                time.sleep(0.01)
            [code] = emulator.pending_device_codes()
            assert prompts[0].user_code == code
            if approve:
                emulator.approve_device_code(code, admin["id"], roles=["authenticationAdministrator"])
            else:
                emulator.decline_device_code(code)
            thread.join(30)
            if approve:
                assert isinstance(outcome[0], str), outcome
            else:
                assert isinstance(outcome[0], signin_prefs.AuthenticationError), outcome
                assert "device-code sign-in failed" in str(outcome[0])


def test_an_https_emulator_is_trusted_through_its_ca_file_alone(
    clean_env: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    ca_file = tmp_path / "emulator-ca.pem"
    with Emulator(users=5, tls_ca_file=ca_file) as emulator:
        assert emulator.base_url.startswith("https://127.0.0.1:")
        assert emulator.ca_certificate_pem == ca_file.read_text()
        user = emulator.user_at(0)
        assert user is not None
        emulator.client().get(user["id"])
        with pytest.raises(signin_prefs.TransportError):
            signin_prefs.Client(token=emulator.token, base_url=emulator.base_url).get(user["id"])
        clean_env.setenv("SIGNIN_PREFS_BASE_URL", emulator.base_url)
        clean_env.setenv("SIGNIN_PREFS_TOKEN", emulator.token)
        clean_env.setenv("SIGNIN_PREFS_CA_FILE", str(ca_file))
        _reads_as("token", user["id"])
