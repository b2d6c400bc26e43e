"""The package's error types.

Every error a user can provoke names what is wrong (the file or field) and what to do about it,
so the CLI can print it as one clear line instead of a traceback.
"""

from __future__ import annotations

from os import PathLike


class MisynError(Exception):
    """Base class of every error misyn-lab raises on purpose.

    Parameters
    ----------
    message:
        What is wrong, in plain words.
    path:
        The offending file or folder, if any.
    remedy:
        What the user can do about it.
    """

    def __init__(self, message: str, *, path: str | PathLike[str] | None = None, remedy: str | None = None):
        self.message = message
        self.path = None if path is None else str(path)
        self.remedy = remedy
        super().__init__(self.__str__())

    def __str__(self) -> str:  # one line, always
        text = self.message
        if self.path is not None:
            text = f"{self.path}: {text}"
        if self.remedy:
            text = f"{text} (fix: {self.remedy})"
        return " ".join(text.split("\n"))


class InputError(MisynError, ValueError):
    """Bad user input: an unreadable file, a wrong shape, NaN values, an empty set, a bad parameter."""


class SchemaError(MisynError, ValueError):
    """A data file (checklist, review, case) does not match its schema."""


class ConflictError(MisynError, RuntimeError):
    """A concurrent change was detected (e.g. two reviewers saving the same review)."""
