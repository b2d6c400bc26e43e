"""``python -m misyn_lab ...`` runs the ``misyn-lab`` command (useful where the console script is not on PATH)."""

import sys

from misyn_lab.cli import main

if __name__ == "__main__":
    sys.exit(main())
