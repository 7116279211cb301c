"""The READMEs' Python examples run as written: the ``python`` blocks of the repository README's
"From Python" and of the package README's "Use", in order, each as a script run in a shell that
sourced the emulator's settings, as the repository README's quick start does, with the emulator
started by the ``signin-prefs`` command this package installs."""

from __future__ import annotations

import os
import re
import subprocess
import sys
import time
from pathlib import Path
from typing import Dict, Iterator, List

import pytest

from signin_prefs import UserDefaultAuthenticationMethodType

PACKAGE = Path(__file__).resolve().parents[1]
REPOSITORY = PACKAGE.parents[1]
# The command installed beside this interpreter, as `pip install` puts it.
COMMAND = Path(sys.executable).with_name("signin-prefs")


def python_blocks(readme: Path, heading: str) -> List[str]:
    """The ``python`` blocks of the section ``heading`` opens, up to the next heading of its
    level or above."""
    text = readme.read_text(encoding="utf-8")
    level = len(heading.split(" ", 1)[0])
    section = text[text.index(f"\n{heading}\n") + len(heading) + 2 :]
    end = re.search(rf"^#{{1,{level}}} ", section, re.MULTILINE)
    if end is not None:
        section = section[: end.start()]
    return re.findall(r"^```python\n(.*?)^```", section, re.DOTALL | re.MULTILINE)


def without_settings() -> Dict[str, str]:
    """This process's environment without the settings the examples must get from the emulator."""
    return {
        name: value
        for name, value in os.environ.items()
        if not name.startswith(("SIGNIN_PREFS_", "AZURE_"))
    }


@pytest.fixture()
def quick_start_shell(tmp_path: Path) -> Iterator[Path]:
    """A folder holding ``emulator.env``, written by ``signin-prefs emulator --print-env``, which
    serves until the test ends."""
    settings = tmp_path / "emulator.env"
    with settings.open("wb") as out:
        emulator = subprocess.Popen(
            [str(COMMAND), "emulator", "--print-env"],
            stdout=out,
            stderr=subprocess.DEVNULL,
            cwd=tmp_path,
            env=without_settings(),
        )
    try:
        deadline = time.monotonic() + 60
        while not settings.read_text(encoding="utf-8").endswith("\n"):
            assert emulator.poll() is None, "the emulator stopped before it served"
            assert time.monotonic() < deadline, "the emulator printed no settings in a minute"
            time.sleep(0.05)
        yield tmp_path
    finally:
        emulator.terminate()
        emulator.wait(timeout=30)


def run_sourced(folder: Path, script: str) -> str:
    """Runs ``script`` with this interpreter in a shell that sourced ``emulator.env``; its
    standard output, once it succeeded."""
    (folder / "example.py").write_text(script, encoding="utf-8")
    result = subprocess.run(
        ["sh", "-e", "-c", '. ./emulator.env && exec "$0" example.py', sys.executable],
        cwd=folder,
        env=without_settings(),
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert result.returncode == 0, f"{script}\nstdout:\n{result.stdout}\nstderr:\n{result.stderr}"
    return result.stdout


def test_the_readmes_python_example_runs_as_written_and_its_update_lands(
    quick_start_shell: Path,
) -> None:
    (block,) = python_blocks(REPOSITORY / "README.md", "## From Python")
    written = re.search(r'user_preferred_method_for_secondary_authentication="(\w+)"', block)
    assert written is not None, block
    members = {member.value for member in UserDefaultAuthenticationMethodType}
    # The first run prints the user's method before its update, the second the one it wrote.
    before = run_sourced(quick_start_shell, block).split()
    after = run_sourced(quick_start_shell, block).split()
    assert len(before) == 1 and before[0] in members and before[0] != written[1], before
    assert after == [written[1]]


def test_the_package_readmes_examples_run_as_written_in_order(quick_start_shell: Path) -> None:
    blocks = python_blocks(PACKAGE / "README.md", "## Use")
    assert len(blocks) >= 2, "the single-user and the bulk example"
    printed = [run_sourced(quick_start_shell, block) for block in blocks]
    # The bulk example ends on the run's verdict, its journal beside its plan.
    assert printed[-1].split()[-1] == "success", printed[-1]
    assert (quick_start_shell / "plan.json.journal.jsonl").is_file()
