"""The README's azure-identity example runs as written: its Python block, read from README.md,
signs in with `ClientSecretCredential` at an HTTPS emulator's login host (OpenID Connect metadata,
then the token endpoint) and reads a user through `signin_prefs.Client`, with the variables
``signin-prefs emulator --tls CA --print-env`` exports."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from signin_prefs.testing import Emulator

_README = Path(__file__).resolve().parents[3] / "README.md"


def _block_after(text: str, marker: str) -> str:
    """The first ```python block after ``marker``."""
    section = text[text.index(marker) :]
    body = section[section.index("```python\n") + len("```python\n") :]
    return body[: body.index("```")]


def test_the_readme_azure_identity_example_runs_as_written(
    clean_env: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    block = _block_after(_README.read_text(), "Python's `azure-identity`")
    assert "ClientSecretCredential" in block
    ca_file = tmp_path / "ca.pem"
    with Emulator(users=5, tls_ca_file=ca_file) as emulator:
        user = emulator.user_at(0)
        assert user is not None
        client_id, secret = emulator.client_credentials
        env = dict(os.environ)
        env.update(
            AZURE_TENANT_ID=emulator.tenant_id,
            AZURE_CLIENT_ID=client_id,
            AZURE_CLIENT_SECRET=secret,
            AZURE_AUTHORITY_HOST=emulator.base_url,
            SIGNIN_PREFS_BASE_URL=emulator.base_url,
            SIGNIN_PREFS_CA_FILE=str(ca_file),
            ME=user["user_principal_name"],
        )
        ran = subprocess.run(
            [sys.executable, "-c", block], env=env, capture_output=True, text=True, timeout=120
        )
        assert ran.returncode == 0, ran.stderr
        expected = user["user_preferred_method_for_secondary_authentication"]
        assert ran.stdout.strip() == str(expected), ran.stdout
