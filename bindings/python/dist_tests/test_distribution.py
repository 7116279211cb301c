"""The package as it is published: its sdist, the wheel built from that sdist alone, and that
wheel installed in a fresh virtual environment with nothing else.

``cargo xtask test`` (``xtask/src/dist.rs``) makes them and runs this module with
``SIGNIN_PREFS_DIST`` naming the folder that holds them (``*.tar.gz``, ``*.whl``, ``venv/``) and
``SIGNIN_PREFS_BINARY`` the ``signin-prefs`` binary built from the same tree. It is not part of
``tests/``, whose run needs none of that.
"""

from __future__ import annotations

import email.parser
import os
import re
import subprocess
import sys
import tarfile
import zipfile
from email.message import Message
from pathlib import Path
from typing import Dict, List

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover - the suite runs on 3.11
    import tomli as tomllib

PACKAGE = Path(__file__).resolve().parents[1]
REPOSITORY = PACKAGE.parents[1]
DIST = Path(os.environ["SIGNIN_PREFS_DIST"])
BINARY = Path(os.environ["SIGNIN_PREFS_BINARY"])
VENV_BIN = DIST / "venv" / "bin"
# The budget for the wheel, in bytes.
WHEEL_BUDGET = 6_000_000


def only(pattern: str) -> Path:
    (found,) = DIST.glob(pattern)
    return found


def workspace() -> Dict[str, str]:
    """The crates' shared package metadata (the root Cargo.toml's ``[workspace.package]``)."""
    manifest = tomllib.loads((REPOSITORY / "Cargo.toml").read_text(encoding="utf-8"))
    package: Dict[str, str] = manifest["workspace"]["package"]
    return package


def wheel_metadata() -> Message:
    with zipfile.ZipFile(only("*.whl")) as wheel:
        (name,) = [name for name in wheel.namelist() if name.endswith(".dist-info/METADATA")]
        return email.parser.Parser().parsestr(wheel.read(name).decode("utf-8"))


def run(*args: str, cwd: Path = DIST) -> subprocess.CompletedProcess[str]:
    """Runs a program with no setting of the caller's that would reach a tenant."""
    env = {
        name: value
        for name, value in os.environ.items()
        if not name.startswith(("SIGNIN_PREFS_", "AZURE_", "VIRTUAL_ENV", "PYTHON"))
    }
    return subprocess.run(args, cwd=cwd, env=env, capture_output=True, text=True, timeout=600)


def subcommands() -> List[str]:
    """The subcommands the binary's help lists."""
    listed = run(str(BINARY), "--help").stdout.split("Commands:\n", 1)[1].split("\n\n", 1)[0]
    names = [line.split()[0] for line in listed.splitlines() if line.strip()]
    return [name for name in names if name != "help"]


def test_the_wheel_is_under_its_budget() -> None:
    size = only("*.whl").stat().st_size
    assert size < WHEEL_BUDGET, f"the wheel is {size:,} bytes, over {WHEEL_BUDGET:,}"


def test_the_metadata_is_the_crates_and_names_the_command() -> None:
    metadata = wheel_metadata()
    crates = workspace()
    assert metadata["Name"] == "signin-prefs"
    assert metadata["Version"] == crates["version"]
    assert metadata["License-Expression"] == crates["license"]
    # PEP 639: a license expression, and no license classifier beside it.
    classifiers = metadata.get_all("Classifier") or []
    assert not [c for c in classifiers if c.startswith("License ::")], classifiers
    assert "Typing :: Typed" in classifiers
    urls = dict(url.split(", ", 1) for url in metadata.get_all("Project-URL") or [])
    assert urls["Repository"] == crates["repository"]
    assert all(url.startswith(crates["repository"]) for url in urls.values()), urls
    assert metadata.get_payload(), "the README is the long description"
    with zipfile.ZipFile(only("*.whl")) as wheel:
        (entry_points,) = [n for n in wheel.namelist() if n.endswith(".dist-info/entry_points.txt")]
        scripts = wheel.read(entry_points).decode("utf-8")
    script = re.compile(r"^signin-prefs\s*=\s*signin_prefs\._cli:main$", re.MULTILINE)
    assert script.search(scripts), scripts


def test_the_sdist_holds_the_package_and_every_generated_file_of_the_crates_it_builds() -> None:
    with tarfile.open(only("*.tar.gz")) as sdist:
        names = {name.split("/", 1)[1] for name in sdist.getnames() if "/" in name}
    generated = run(
        "git", "ls-files", "--", "crates/*/src/generated/*", cwd=REPOSITORY
    ).stdout.split()
    crates = {path.split("/")[1] for path in generated}
    assert crates, "the repository has generated code"
    for crate in crates:
        assert f"crates/{crate}/Cargo.toml" in names, crate
    missing = [path for path in generated if path not in names]
    assert not missing, missing
    assert "Cargo.lock" in names
    # The package's Python sources (its generated models among them), where maturin puts them.
    sources = run("git", "ls-files", "--", "python", cwd=PACKAGE).stdout.split()
    assert "python/signin_prefs/_generated_models.py" in sources
    missing = [path for path in sources if path not in names]
    assert not missing, missing


def test_the_installed_command_is_the_binarys() -> None:
    version = run(str(VENV_BIN / "signin-prefs"), "--version")
    assert version.returncode == 0, version.stderr
    assert version.stdout.startswith(f"signin-prefs {workspace()['version']}"), version.stdout
    for words in [[], *([name] for name in subcommands())]:
        native = run(str(BINARY), *words, "--help")
        assert native.returncode == 0, (words, native.stderr)
        hosts = ([str(VENV_BIN / "signin-prefs")], [str(VENV_BIN / "python"), "-m", "signin_prefs"])
        for program in hosts:
            hosted = run(*program, *words, "--help")
            assert (hosted.returncode, hosted.stdout) == (0, native.stdout), (program, words)
    refused = run(str(VENV_BIN / "signin-prefs"), "no-such-command")
    assert refused.returncode == run(str(BINARY), "no-such-command").returncode == 2


def test_the_installed_command_runs_the_demo_on_its_emulator(tmp_path: Path) -> None:
    folder = tmp_path / "demo"
    demo = run(str(VENV_BIN / "signin-prefs"), "demo", "--users", "300", "--dir", str(folder))
    assert demo.returncode == 0, demo.stderr
    assert "applied" in demo.stdout
    assert (folder / "plan.json").is_file()


def test_the_installed_module_changes_a_user_on_its_emulator() -> None:
    script = """
import signin_prefs
from signin_prefs.testing import Emulator

with Emulator(users=10) as emulator:
    client = emulator.client()
    user = emulator.user_at(3)["id"]
    before = client.get(user).user_preferred_method_for_secondary_authentication
    target = "oath" if before != "oath" else "sms"
    client.update(user, user_preferred_method_for_secondary_authentication=target)
    print(target, client.get(user).user_preferred_method_for_secondary_authentication)
    print(signin_prefs.__file__)
"""
    ran = run(str(VENV_BIN / "python"), "-c", script)
    assert ran.returncode == 0, ran.stderr
    target, method, location = ran.stdout.split()
    assert method == target
    # The installed copy, not the repository's sources.
    assert Path(location).is_relative_to(DIST / "venv"), location
