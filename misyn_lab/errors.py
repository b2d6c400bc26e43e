"""The package's error types.

Every error a user can provoke names what is wrong (the file or field) and what to do about it,
so the CLI can print it as one clear line instead of a traceback.
"""

from __future__ import annotations

from os import PathLike

#: Characters escaped in one-line output besides C0/C1 controls: line/paragraph separators and bidi controls
#: (which can reorder what a terminal shows).
_INVISIBLE = frozenset("\u2028\u2029\u200e\u200f\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069")


def printable(text: object) -> str:
    r"""``text`` safe for one line of terminal (or notebook) output.

    File-name bytes that are not UTF-8 (Python's surrogate escapes) become ``\xNN``; control characters (ESC, CR,
    tab ...), line separators and bidi controls become ``\x1b``-style escapes; newlines become ``\n``. A file
    name can then neither forge an output line nor break a UTF-8 writer.

    Parameters
    ----------
    text : object
        Anything; it is turned into text first.

    Returns
    -------
    str
        One printable line.

    Examples
    --------
    >>> print(printable("scan\nWARNING: fake line\x1b[31m"))
    scan\nWARNING: fake line\x1b[31m
    """
    out = []
    for ch in str(text).encode("utf-8", "surrogateescape").decode("utf-8", "backslashreplace"):
        code = ord(ch)
        if code < 0x20 or 0x7F <= code < 0xA0 or ch in _INVISIBLE:
            out.append({"\n": "\\n", "\r": "\\r", "\t": "\\t"}.get(ch)
                       or (f"\\x{code:02x}" if code < 0x100 else f"\\u{code:04x}"))
        else:
            out.append(ch)
    return "".join(out)


class MisynError(Exception):
    """Base class of every error misyn-lab raises on purpose: one line naming the file or field, what is wrong and
    the fix.

    Parameters
    ----------
    message : str
        What is wrong, in plain words.
    path : str or path-like, optional
        The offending file, folder or option, if any.
    remedy : str, optional
        What the user can do about it.

    Examples
    --------
    >>> str(MisynError("no images found", path="scans/", remedy="check the folder"))
    'scans/: no images found (fix: check the folder)'
    """

    def __init__(self, message: str, *, path: str | PathLike[str] | None = None, remedy: str | None = None):
        self.message = message
        self.path = None if path is None else str(path)
        self.remedy = remedy
        super().__init__(self.__str__())

    def __str__(self) -> str:  # one line, always: newlines become spaces, other controls are escaped
        text = self.message
        if self.path is not None:
            text = f"{self.path}: {text}"
        if self.remedy:
            text = f"{text} (fix: {self.remedy})"
        return printable(" ".join(text.split("\n")))


class InputError(MisynError, ValueError):
    """Bad user input: an unreadable file, a wrong shape, NaN values, an empty set, a bad parameter.

    Parameters
    ----------
    message : str
        What is wrong, in plain words.
    path : str or path-like, optional
        The offending file, folder or option, if any.
    remedy : str, optional
        What the user can do about it.

    Examples
    --------
    >>> from misyn_lab.imagesets import load_images
    >>> load_images("no/such/folder")
    Traceback (most recent call last):
    ...
    misyn_lab.errors.InputError: no/such/folder: ...
    >>> issubclass(InputError, MisynError) and issubclass(InputError, ValueError)
    True
    """


class SchemaError(MisynError, ValueError):
    """A data file (checklist, review, case) does not match its schema.

    Parameters
    ----------
    message : str
        What is wrong, in plain words.
    path : str or path-like, optional
        The offending file, folder or option, if any.
    remedy : str, optional
        What the user can do about it.

    Examples
    --------
    >>> err = SchemaError("item 'TS-1': 'severity' must be one of high, medium, low", path="my.yaml",
    ...                   remedy="fix the field")
    >>> str(err)
    "my.yaml: item 'TS-1': 'severity' must be one of high, medium, low (fix: fix the field)"
    """


class ConflictError(MisynError, RuntimeError):
    """A concurrent change was detected (e.g. two reviewers saving the same review).

    Parameters
    ----------
    message : str
        What is wrong, in plain words.
    path : str or path-like, optional
        The offending file, folder or option, if any.
    remedy : str, optional
        What the user can do about it.

    Examples
    --------
    >>> import pathlib, tempfile
    >>> from misyn_lab.checklist import Review
    >>> path = pathlib.Path(tempfile.mkdtemp()) / "review.yaml"
    >>> _ = Review.new("team", reviewer="ana").save(path)
    >>> ana, ben = Review.load(path), Review.load(path)
    >>> _ = ana.set_answer("TS-1", "ana", "yes", "Card says so."); _ = ana.save()
    >>> _ = ben.set_answer("TS-1", "ana", "no", "Edited in ben's copy.")
    >>> ben.save()
    Traceback (most recent call last):
    ...
    misyn_lab.errors.ConflictError: ...the same answer was changed by this session and by another save: TS-1/ana...
    """
