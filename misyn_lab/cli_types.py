"""Argument types for the ``misyn-lab`` command line: values are checked while the command line is parsed,
before any work starts, and a bad value is one line naming the option and the accepted range."""

from __future__ import annotations

import argparse
import os

#: Largest seed accepted (numpy's legacy seeding and many generators take 32-bit seeds).
MAX_SEED = 2**32 - 1


def _int(text: str) -> int:
    text = str(text).strip()
    if not text.lstrip("+-").isdigit():
        raise argparse.ArgumentTypeError(f"expected a whole number, got {text[:40]!r}")
    if len(text) > 30:  # never converted: Python refuses > 4,300 digits, and no option needs more than 30
        raise argparse.ArgumentTypeError(f"number with {len(text)} digits is out of range")
    return int(text)


def non_negative_int(text: str) -> int:
    """A seed: a whole number from 0 to :data:`MAX_SEED` (an argparse type).

    Parameters
    ----------
    text : str
        The command-line text.

    Returns
    -------
    int
        The number.

    Raises
    ------
    argparse.ArgumentTypeError
        Not a whole number in range.

    Examples
    --------
    >>> non_negative_int("7")
    7
    """
    value = _int(text)
    if not 0 <= value <= MAX_SEED:
        raise argparse.ArgumentTypeError(f"must be a whole number from 0 to {MAX_SEED}, got {value}")
    return value


def positive_int(text: str) -> int:
    """A count such as a chunk size: a whole number from 1 up (an argparse type).

    Parameters
    ----------
    text : str
        The command-line text.

    Returns
    -------
    int
        The number.

    Raises
    ------
    argparse.ArgumentTypeError
        Not a whole number of at least 1.

    Examples
    --------
    >>> positive_int("3")
    3
    >>> positive_int("0")
    Traceback (most recent call last):
    ...
    argparse.ArgumentTypeError: must be a whole number of at least 1, got 0
    """
    value = _int(text)
    if value < 1:
        raise argparse.ArgumentTypeError(f"must be a whole number of at least 1, got {value}")
    return value


def worker_count(text: str) -> int:
    """A number of worker processes: 1 to ``os.cpu_count()`` (an argparse type).

    Parameters
    ----------
    text : str
        The command-line text.

    Returns
    -------
    int
        The number.

    Raises
    ------
    argparse.ArgumentTypeError
        Not a whole number in range.

    Examples
    --------
    >>> worker_count("1")
    1
    """
    value = _int(text)
    cpus = os.cpu_count() or 1
    if not 1 <= value <= cpus:
        raise argparse.ArgumentTypeError(f"must be from 1 to {cpus} (the CPUs of this machine), got {value}")
    return value


class OneLineParser(argparse.ArgumentParser):
    r"""An ArgumentParser whose errors are one line (``misyn-lab: error: ...``) and exit with code 2.

    Parameters
    ----------
    *args, **kwargs
        As for :class:`argparse.ArgumentParser`.

    Examples
    --------
    >>> import contextlib, io
    >>> parser = OneLineParser(prog="misyn-lab")
    >>> _ = parser.add_argument("--seed", type=non_negative_int)
    >>> err = io.StringIO()
    >>> with contextlib.redirect_stderr(err):
    ...     try:
    ...         parser.parse_args(["--seed", "-1"])
    ...     except SystemExit as stop:
    ...         print(stop.code)
    2
    >>> err.getvalue().count("\n")
    1
    """

    def error(self, message: str):  # type: ignore[override]
        text = " ".join(str(message).split())
        self.exit(2, f"misyn-lab: error: {self.prog}: {text} (fix: see `{self.prog} --help`)\n")
