"""The package's types as tools see them: `typing.get_type_hints` resolves every public
annotation (pydantic, typer, beartype and Sphinx call it), `help()` shows the values a method
takes, mypy refuses wrong calls and accepts right ones, and a bare string where a list is meant
is refused at run time."""

from __future__ import annotations

import inspect
import os
import re
import subprocess
import sys
import typing
from pathlib import Path
from typing import Any, Dict, Iterator, List, Tuple

import pytest

import signin_prefs
from signin_prefs import bulk, progress, testing
from signin_prefs.testing import Emulator

CASES = Path(__file__).parent / "typing_cases"
PUBLIC_MODULES = (signin_prefs, bulk, progress, testing)


def _public_callables() -> Iterator[Tuple[str, Any]]:
    """Every public class, function and method of the public modules, by qualified name."""
    for module in PUBLIC_MODULES:
        for name in module.__all__:
            value = getattr(module, name)
            if inspect.isclass(value) or inspect.isfunction(value):
                yield f"{module.__name__}.{name}", value
            if inspect.isclass(value):
                for attribute, member in vars(value).items():
                    function = member.fget if isinstance(member, property) else member
                    if inspect.isfunction(function) and (
                        not attribute.startswith("_") or attribute == "__init__"
                    ):
                        yield f"{module.__name__}.{name}.{attribute}", function


def test_get_type_hints_resolves_every_public_annotation() -> None:
    checked = dict(_public_callables())
    # The API the issue names, among the rest.
    for name in ("signin_prefs.Client.update", "signin_prefs.AsyncClient.update",
                 "signin_prefs.SignInPreferences", "signin_prefs.bulk.plan"):
        assert name in checked
    failures: Dict[str, str] = {}
    for name, value in checked.items():
        try:
            typing.get_type_hints(value)
        except Exception as error:  # noqa: BLE001 - every failure is reported at once
            failures[name] = repr(error)
    assert failures == {}


def test_the_method_is_typed_by_the_values_it_takes() -> None:
    hints = typing.get_type_hints(signin_prefs.Client.update)
    method = hints["user_preferred_method_for_secondary_authentication"]
    literal_values = {
        value for arg in typing.get_args(method) for value in typing.get_args(arg)
        if isinstance(value, str)
    }
    # Every member but the placeholder, from the generated enum rather than spelled here.
    members = {member.value for member in signin_prefs.UserDefaultAuthenticationMethodType}
    assert literal_values == members - {"unknownFutureValue"}
    shown = str(inspect.signature(signin_prefs.Client.update))
    assert "'push'" in shown and "_MethodArg" not in shown
    assert typing.get_type_hints(bulk.PlanSettings)["methods"] == typing.Sequence[bulk.Method]


def _mypy_errors(*files: Path) -> Dict[str, List[int]]:
    """The lines `mypy --strict` reports an error on, per file name."""
    done = subprocess.run(
        [sys.executable, "-m", "mypy", "--strict", "--no-incremental", *map(str, files)],
        capture_output=True,
        text=True,
        env={**os.environ, "MYPYPATH": str(Path(signin_prefs.__file__).parent.parent)},
        cwd=CASES,
    )
    assert "error: Cannot find" not in done.stdout, done.stdout
    errors: Dict[str, List[int]] = {file.name: [] for file in files}
    for match in re.finditer(r"^(?:.*/)?([\w.]+\.py):(\d+): error:", done.stdout, re.MULTILINE):
        errors.setdefault(match.group(1), []).append(int(match.group(2)))
    return errors


def test_mypy_refuses_the_wrong_calls_and_accepts_the_right_ones() -> None:
    wrong, right = CASES / "wrong_calls.py", CASES / "right_calls.py"
    errors = _mypy_errors(wrong, right)
    assert errors["right_calls.py"] == []
    marked = [
        number for number, line in enumerate(wrong.read_text().splitlines(), start=1)
        if line.rstrip().endswith("# wrong")
    ]
    assert marked and sorted(set(errors["wrong_calls.py"])) == marked


def test_a_bare_string_for_a_list_is_refused(emulator: Emulator, tmp_path: Path) -> None:
    client = emulator.client()
    for setting in ("methods", "only_from", "exclude"):
        with pytest.raises(TypeError, match=rf"{setting} must be a sequence such as \['push'\]"):
            bulk.plan(client, ["someone@contoso.com"], tmp_path / "plan.json", **{setting: "push"})
    with pytest.raises(TypeError, match="scopes must be a sequence"):
        signin_prefs.Client(token="t", scopes="https://graph.microsoft.com/.default")
    assert not (tmp_path / "plan.json").exists()


def test_import_makes_the_submodules_reachable_on_first_use() -> None:
    code = (
        "import sys, signin_prefs\n"
        "assert 'signin_prefs.bulk' not in sys.modules and 'signin_prefs.testing' not in sys.modules\n"
        "assert callable(signin_prefs.bulk.plan) and signin_prefs.testing.Emulator\n"
        "assert signin_prefs.progress.Progress\n"
        "try:\n    signin_prefs.nothing\nexcept AttributeError as error:\n    print(error)\n"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert done.returncode == 0, done.stderr
    assert "has no attribute 'nothing'" in done.stdout


def test_typing_loads_when_annotations_are_read_not_at_import(emulator: Emulator, user: str) -> None:
    # A fresh interpreter without `site` (which may import typing itself), so what loads typing
    # can only be the package; the calls a script makes do not load it either.
    code = (
        "import sys\n"
        "assert 'typing' not in sys.modules\n"
        "import signin_prefs\n"
        f"client = signin_prefs.Client(token={emulator.token!r}, base_url={emulator.base_url!r})\n"
        f"model = client.get({user!r})\n"
        "assert model == signin_prefs.SignInPreferences.from_json(model.to_json())\n"
        "client.update("
        f"{user!r}, user_preferred_method_for_secondary_authentication='oath')\n"
        "try:\n    client.get('nobody@contoso.com')\n"
        "except signin_prefs.NotFoundError as error:\n    repr(error)\n"
        "print(sorted(name for name in ('typing', 'json') if name in sys.modules))\n"
        "import typing\n"
        "hints = typing.get_type_hints(signin_prefs.Client.update)\n"
        "print(typing.get_args(hints['user_preferred_method_for_secondary_authentication'])[1])\n"
        "print(signin_prefs.UserDefaultAuthenticationMethodTypeLiteral)\n"
    )
    package_root = Path(signin_prefs.__file__).parent.parent
    done = subprocess.run(
        [sys.executable, "-S", "-c", code],
        capture_output=True,
        text=True,
        env={**os.environ, "PYTHONPATH": str(package_root)},
    )
    assert done.returncode == 0, done.stderr
    loaded, first_method, alias = done.stdout.splitlines()
    assert loaded == "['json']"  # json for the body; typing only once hints are asked for
    assert first_method == "typing.Literal['push']"
    assert alias == str(signin_prefs.UserDefaultAuthenticationMethodTypeLiteral)
    assert emulator.client().get(user).user_preferred_method_for_secondary_authentication == "oath"


def test_annotations_read_from_threads_at_once_agree() -> None:
    # In a fresh interpreter, where nothing has read them yet: each thread may evaluate them, and
    # all must see the same hints.
    code = (
        "import threading, typing, signin_prefs\n"
        "targets = [signin_prefs.Client.update, signin_prefs.AsyncClient.update,\n"
        "           signin_prefs.Client.__init__, signin_prefs.SignInPreferences]\n"
        "seen = []\n"
        "start = threading.Barrier(8)\n"
        "def read():\n"
        "    start.wait()\n"
        "    seen.append([typing.get_type_hints(target) for target in targets])\n"
        "threads = [threading.Thread(target=read) for _ in range(8)]\n"
        "for thread in threads: thread.start()\n"
        "for thread in threads: thread.join()\n"
        "assert len(seen) == 8 and all(hints == seen[0] for hints in seen), seen\n"
        "assert not any(isinstance(v, str) for hints in seen[0] for v in hints.values())\n"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert done.returncode == 0, done.stderr


def test_help_renders_every_public_class_and_its_dunders() -> None:
    # `help()` reads every method's annotations, dunders included (`__exit__`'s traceback type),
    # which the public API's hints do not cover.
    import pydoc

    for name, value in _public_callables():
        if inspect.isclass(value):
            text = pydoc.render_doc(value, renderer=pydoc.plaintext)
            assert value.__name__ in text, name
            for member in vars(value).values():
                if inspect.isfunction(member):
                    typing.get_type_hints(member)
