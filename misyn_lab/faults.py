"""Fault injection for crash-safety tests: kill the process at a named point.

Setting the environment variable ``MISYN_LAB_FAULT`` to a point name (e.g. ``label:after-stage``) makes
:func:`inject` send SIGKILL to the current process when execution reaches that point, so a test can check
what a crash at exactly that moment leaves behind. Unset (always, outside such tests), :func:`inject` does
nothing. The points are listed where they are used (``misyn_lab.provenance.mark.FAULT_POINTS``).
"""

from __future__ import annotations

import os
import signal

ENV_VAR = "MISYN_LAB_FAULT"


def inject(point: str) -> None:
    """SIGKILL this process if ``$MISYN_LAB_FAULT`` names ``point`` (tests of crash safety; a no-op otherwise).

    Parameters
    ----------
    point : str
        The name of this point in the code.

    Examples
    --------
    >>> import os
    >>> "MISYN_LAB_FAULT" in os.environ
    False
    >>> inject("review.save.after_write")                # not named: nothing happens
    """
    if os.environ.get(ENV_VAR) == point:
        os.kill(os.getpid(), signal.SIGKILL)
