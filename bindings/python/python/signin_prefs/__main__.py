"""``python -m signin_prefs``: the ``signin-prefs`` command, for when its script is not on the
``PATH``. Its help names the program ``signin-prefs``, and so does the command it prints to resume
an interrupted run."""

import sys

from ._cli import main

if __name__ == "__main__":
    main(["signin-prefs", *sys.argv[1:]])
