"""Crash-safe file writing: write a temporary file beside the target, fsync it, rename it over the target.

A reader (or a process killed mid-write) therefore sees either the complete old file or the complete new
one, never a torn file. Used for reviews, registries, case files and reports.
"""

from __future__ import annotations

import errno
import os
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from misyn_lab.errors import InputError

_WHY = {errno.ENOSPC: "the disk is full", errno.EDQUOT: "the disk quota is exhausted",
        errno.EROFS: "the file system is read-only", errno.EACCES: "permission denied",
        errno.EPERM: "permission denied", errno.EISDIR: "a folder of that name exists",
        errno.ENOTDIR: "a part of the path is a file, not a folder", errno.EEXIST: "a file is in the way of a folder",
        errno.ENAMETOOLONG: "the name is too long"}


@contextmanager
def writing(path: str | os.PathLike[str]) -> Iterator[None]:
    """Report an ``OSError`` while writing ``path`` as one :class:`~misyn_lab.errors.InputError` naming the file,
    the reason (disk full, read-only, a folder in the way ...) and the fix.

    Parameters
    ----------
    path : str or path-like
        The file being written.

    Yields
    ------
    None
        The block runs inside.

    Raises
    ------
    InputError
        An ``OSError`` in the block.

    Examples
    --------
    >>> import pathlib, tempfile
    >>> folder = pathlib.Path(tempfile.mkdtemp())
    >>> with writing(folder):                       # a folder where a file should be
    ...     _ = folder.write_text("x")
    Traceback (most recent call last):
    ...
    misyn_lab.errors.InputError: ...
    """
    try:
        yield
    except OSError as exc:
        why = _WHY.get(exc.errno or 0, exc.strerror or str(exc))
        raise InputError(f"cannot write the file: {why}", path=path,
                         remedy="give a file path in an existing, writable folder with free space") from exc


def write_temp(path: str | os.PathLike[str], data: bytes) -> Path:
    """Write ``data`` to a new temporary file beside ``path`` (fsync'ed, with the mode ``path`` will have).

    :func:`replace_with` puts it in place; :func:`discard` removes it after a failure.

    Parameters
    ----------
    path : str or path-like
        The file it will replace.
    data : bytes
        The content.

    Returns
    -------
    Path
        The temporary file.

    Examples
    --------
    >>> import pathlib, tempfile
    >>> folder = pathlib.Path(tempfile.mkdtemp())
    >>> tmp = write_temp(folder / "a.txt", b"new")
    >>> replace_with(tmp, folder / "a.txt").read_bytes(), tmp.exists()
    (b'new', False)
    """
    target = Path(path)
    with writing(target):
        target.parent.mkdir(parents=True, exist_ok=True)
        if target.is_dir():
            raise IsADirectoryError(errno.EISDIR, "Is a directory", str(target))
        fd, tmp = tempfile.mkstemp(prefix=f".{target.name}.", suffix=".tmp", dir=target.parent)
    try:
        # mkstemp creates 0600; give the file the mode an ordinary write would: keep an existing file's
        # mode, else 0666 less the process umask.
        try:
            mode = target.stat().st_mode & 0o7777
        except FileNotFoundError:
            mode = 0o666 & ~_current_umask()
        with writing(target):
            os.fchmod(fd, mode)
            with os.fdopen(fd, "wb") as fh:
                fh.write(data)
                fh.flush()
                os.fsync(fh.fileno())
    except BaseException:
        discard(tmp)
        raise
    return Path(tmp)


def discard(tmp: str | os.PathLike[str]) -> None:
    """Remove a temporary file if it is still there (a file another step already moved or removed is fine).

    Parameters
    ----------
    tmp : str or path-like
        The temporary file.

    Examples
    --------
    >>> import pathlib, tempfile
    >>> folder = pathlib.Path(tempfile.mkdtemp())
    >>> tmp = write_temp(folder / "a.txt", b"draft")
    >>> discard(tmp); discard(tmp)                     # the second call is a no-op
    >>> tmp.exists()
    False
    """
    try:
        os.unlink(tmp)
    except (FileNotFoundError, IsADirectoryError, PermissionError):
        pass


def replace_with(tmp: str | os.PathLike[str], path: str | os.PathLike[str]) -> Path:
    """Rename the temporary file ``tmp`` over ``path`` (atomic) and fsync the folder.

    Parameters
    ----------
    tmp : str or path-like
        From :func:`write_temp`.
    path : str or path-like
        The target.

    Returns
    -------
    Path
        ``path``.

    Examples
    --------
    >>> import pathlib, tempfile
    >>> folder = pathlib.Path(tempfile.mkdtemp())
    >>> replace_with(write_temp(folder / "a.txt", b"v2"), folder / "a.txt").read_bytes()
    b'v2'
    """
    target = Path(path)
    with writing(target):
        os.replace(tmp, target)
    try:
        dir_fd = os.open(target.parent, os.O_RDONLY)
    except OSError:  # pragma: no cover - platforms without directory fds
        return target
    try:
        os.fsync(dir_fd)
    except OSError:  # pragma: no cover
        pass
    finally:
        os.close(dir_fd)
    return target


def atomic_write_bytes(path: str | os.PathLike[str], data: bytes) -> Path:
    r"""Atomically replace ``path`` with ``data`` (temp file + fsync + rename + directory fsync): a reader sees the
    old file or the new one, never a part.

    Parameters
    ----------
    path : str or path-like
        The file.
    data : bytes
        The content.

    Returns
    -------
    Path
        The file.

    Raises
    ------
    InputError
        The file cannot be written (naming the reason and the fix).

    Examples
    --------
    >>> import pathlib, tempfile
    >>> folder = pathlib.Path(tempfile.mkdtemp())
    >>> atomic_write_bytes(folder / "a.bin", b"\x00\x01").read_bytes()
    b'\x00\x01'
    """
    tmp = write_temp(path, data)
    try:
        return replace_with(tmp, path)
    except BaseException:
        discard(tmp)
        raise


def _current_umask() -> int:
    """The process umask, read without changing it where Linux allows (os.umask alone must set it)."""
    try:
        with open("/proc/self/status", encoding="ascii") as fh:
            for line in fh:
                if line.startswith("Umask:"):
                    return int(line.split()[1], 8)
    except (OSError, ValueError):
        pass
    mask = os.umask(0o022)
    os.umask(mask)
    return mask


def atomic_write_text(path: str | os.PathLike[str], text: str, encoding: str = "utf-8") -> Path:
    """Atomically replace ``path`` with ``text``.

    Parameters
    ----------
    path : str or path-like
        The file.
    text : str
        The content.
    encoding : str, optional
        Text encoding.

    Returns
    -------
    Path
        The file.

    Raises
    ------
    InputError
        The file cannot be written.

    Examples
    --------
    >>> import pathlib, tempfile
    >>> folder = pathlib.Path(tempfile.mkdtemp())
    >>> atomic_write_text(folder / "a.txt", "café").read_text(encoding="utf-8")
    'café'
    """
    return atomic_write_bytes(path, text.encode(encoding))
