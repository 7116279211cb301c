"""The ``signin-prefs`` command that installing the package puts on the ``PATH``.

It is the project's Rust command line, run in this process by the native module: the same program
as the ``signin-prefs`` binary (same options, output, exit codes), not a second implementation.
"""

from __future__ import annotations

import signal
import sys
from typing import NoReturn, Optional, Sequence

from . import _native


def main(argv: Optional[Sequence[str]] = None) -> NoReturn:
    """Runs the command line ``argv`` (the program's name first; ``sys.argv`` by default) and
    exits with its exit code."""
    # Python's own SIGINT handler would only set a flag that nothing checks while the command runs
    # (the GIL is released): give Ctrl-C back to the system's default, as in the binary, so that
    # the command's handler takes it during a run (stop, journal, print the command that resumes,
    # exit 130) and it ends the process at once elsewhere. SIGPIPE is already ignored by Python,
    # as by Rust's binaries: a closed pipe is an error the command handles.
    signal.signal(signal.SIGINT, signal.SIG_DFL)
    sys.exit(_native.cli_main(list(sys.argv if argv is None else argv)))
