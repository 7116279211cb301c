"""The Python package refuses exactly the input the CLI refuses, with the same messages: both run
the case table in `tests/input_cases.json` (the CLI in `tests/tests/suite/cli_input.rs`)."""

from __future__ import annotations

import json
import tempfile
from pathlib import Path
from typing import Any, Dict, List, Optional

import pytest

import signin_prefs
from signin_prefs import bulk
from signin_prefs.testing import Emulator

_TABLE = Path(__file__).resolve().parents[3] / "tests" / "input_cases.json"


def _cases() -> List[Dict[str, Any]]:
    cases: List[Dict[str, Any]] = json.loads(_TABLE.read_text(encoding="utf-8"))["cases"]
    return cases


def _attempt(emulator: Emulator, kind: str, value: str) -> None:
    if kind == "user":
        emulator.client().get(value)
    elif kind == "method":
        record = emulator.user_at(0)
        assert record is not None
        emulator.client().update(
            record["id"], user_preferred_method_for_secondary_authentication=value
        )
    elif kind == "flag precedence":
        record = emulator.user_at(0)
        assert record is not None
        with tempfile.TemporaryDirectory() as scratch:
            targets = Path(scratch) / "targets.csv"
            targets.write_text(f"user\n{record['id']}\n")
            bulk.plan(
                emulator.client(),
                targets,
                Path(scratch) / "plan.json",
                methods=["oath"],
                flag_precedence=value,
            )
    elif kind == "cloud":
        signin_prefs.Client(token="t", cloud=value)
    else:
        raise AssertionError(f"unknown case kind {kind}")


@pytest.mark.parametrize(
    "case", _cases(), ids=lambda case: f"{case['kind']}:{case['value']!r}"
)
def test_python_refuses_exactly_the_shared_input_cases(
    emulator: Emulator, case: Dict[str, Any]
) -> None:
    kind: str = case["kind"]
    value: str = case["value"]
    refused: Optional[str] = case["refused"]
    if refused is not None:
        with pytest.raises(ValueError) as caught:
            _attempt(emulator, kind, value)
        assert isinstance(caught.value, signin_prefs.SignInPreferencesError)
        assert caught.value.status is None  # refused before anything was sent
        assert refused in str(caught.value)
    else:
        try:
            _attempt(emulator, kind, value)
        except signin_prefs.SignInPreferencesError as error:
            # Accepted: whatever the service then says, it is not refused as input.
            assert error.status is not None, f"{kind} {value!r} refused: {error}"


def test_excluded_users_are_checked_as_targets_are(emulator: Emulator, tmp_path: Path) -> None:
    targets = tmp_path / "targets.csv"
    targets.write_text("user\nadele@contoso.com\n")
    with pytest.raises(signin_prefs.ValidationError, match='exclude: user "adele"'):
        bulk.plan(
            emulator.client(), targets, tmp_path / "plan.json", methods=["push"], exclude=["adele"]
        )
    assert not (tmp_path / "plan.json").exists()


def test_run_defaults_come_from_the_engine() -> None:
    assert bulk.DEFAULT_BATCH_SIZE == 20
    assert bulk.DEFAULT_CONCURRENCY == 8
