"""Errors people meet, and the one place that words them (the ``ecohub`` command uses it).

A user error ends in one line (or a short paragraph) that names what was wrong, the value, and
what was expected — never in a traceback; ``ecohub --debug`` shows the traceback as well.
Domain code raises specific exceptions whose text is that line (``ValueError`` and its
subclasses for bad input, :class:`ecohub.store.StoreNotMigrated` for a missing or outdated
store, :class:`NoData` for nothing to work on); :func:`describe` words the rest (files,
databases, ports) from the exception alone.

This module is a leaf: it imports nothing of ecohub but :mod:`ecohub.vocabulary`.
"""

from __future__ import annotations

import datetime as dt
import errno
import os
import tempfile
from pathlib import Path

from ecohub.vocabulary import CHINA_TZ

__all__ = ["NoData", "NotWritable", "check_directory", "check_writable", "cst", "describe"]


class NoData(ValueError):
    """Nothing to work on: no object registered, or no reading stored for the period asked."""


class NotWritable(OSError):
    """An output cannot be written where it was asked to go (checked before any work)."""


def cst(moment: dt.datetime | dt.date, seconds: bool = False) -> str:
    """A time as people in China write it: ``2026-12-02 08:00 CST`` (a date stays a date).

    >>> cst(dt.datetime(2026, 12, 2, 0, 0, tzinfo=dt.UTC))
    '2026-12-02 08:00 CST'
    """
    if not isinstance(moment, dt.datetime):
        return moment.isoformat()
    if moment.tzinfo is None:
        return f"{moment:%Y-%m-%d %H:%M{':%S' if seconds else ''}} (no time zone)"
    return f"{moment.astimezone(CHINA_TZ):%Y-%m-%d %H:%M{':%S' if seconds else ''}} CST"


def check_writable(path: Path, option: str) -> None:
    """Raise :class:`NotWritable` unless a file can be written at ``path``.

    Checked by creating (and removing) a scratch file beside it, so that a command finds out
    before its work, not after it.
    """
    path = Path(path)
    parent = path.parent
    try:
        is_dir, parent_is_dir = path.is_dir(), parent.is_dir()
    except OSError as error:  # a directory on the way may not be entered
        raise NotWritable(error.errno or errno.EACCES,
                          f"{option} {path}: cannot write in {parent} "
                          f"({(error.strerror or str(error)).lower()}); "
                          "choose a directory you may write to") from None
    if is_dir:
        raise NotWritable(errno.EISDIR, f"{option} {path} is a directory; expected a file name")
    if not parent_is_dir:
        raise NotWritable(errno.ENOENT, f"{option} {path}: directory {parent} does not exist; "
                                        "create it first or choose another place")
    try:
        with tempfile.TemporaryFile(dir=parent):
            pass
        if path.exists() and not os.access(path, os.W_OK, effective_ids=True):
            raise PermissionError(errno.EACCES, "Permission denied")
    except OSError as error:
        raise NotWritable(error.errno or errno.EACCES,
                          f"{option} {path}: cannot write in {parent} "
                          f"({(error.strerror or str(error)).lower()}); "
                          "choose a directory you may write to") from None


def check_directory(path: Path, option: str) -> None:
    """Raise :class:`NotWritable` unless files can be written in directory ``path``.

    The directory may not exist yet (it is made), but its parent must.
    """
    path = Path(path)
    if path.exists() and not path.is_dir():
        raise NotWritable(errno.ENOTDIR, f"{option} {path} is a file; expected a directory")
    if path.is_dir():
        check_writable(path / ".ecohub-write-check", option)
        return
    if not path.parent.is_dir():
        raise NotWritable(errno.ENOENT, f"{option} {path}: directory {path.parent} does not "
                                        "exist; create it first or choose another place")
    check_writable(path, option)


def describe(error: BaseException) -> str | None:
    """The one-line message for a known kind of error; None for an unexpected one (a bug)."""
    if isinstance(error, NotWritable):
        return error.strerror
    if isinstance(error, OSError):
        return _os_error(error)
    name = type(error).__module__.split(".")[0].lstrip("_")  # duckdb's are _duckdb.…
    if name == "sqlalchemy":
        return _database(error)
    if name == "duckdb":
        return f"measurement store: {_first_line(error)}"
    if name == "xlsxwriter":
        return f"cannot write the workbook: {_first_line(error)}"
    if isinstance(error, UnicodeDecodeError):
        return (f"cannot decode the text ({error.encoding}: {error.reason} at byte "
                f"{error.start}); expected UTF-8 or GB 18030")
    if isinstance(error, NotImplementedError | RecursionError):
        return None
    if isinstance(error, ValueError | RuntimeError):  # domain errors say what was wrong
        return str(error)
    return None


def _os_error(error: OSError) -> str:
    if error.errno == errno.EADDRINUSE:
        return (f"cannot listen: the address is already in use ({error.strerror}); another "
                "program (another `ecohub serve`?) has the port: stop it or choose --port")
    if error.errno in (errno.EACCES, errno.EPERM, errno.EROFS):
        what = error.filename or "the file"
        return (f"permission denied: {what}; this user may not write there (a read-only data "
                "directory or store?) — run as the owner or choose another --data-dir/--out")
    reason = error.strerror or str(error)
    if error.filename is not None:
        return f"{error.filename}: {reason}"
    return reason


def _database(error: BaseException) -> str:
    orig = getattr(error, "orig", None)
    detail = _first_line(orig if orig is not None else error)
    kind = type(error).__name__
    if kind == "OperationalError":
        if "readonly" in detail or "read-only" in detail:
            return (f"the operational database is read-only ({detail}); run as its owner or "
                    "use a writable --data-dir")
        return (f"cannot reach the database: {detail}; check --database-url "
                "(ECOHUB_DATABASE_URL), that the server runs and accepts this user")
    if kind in ("ArgumentError", "NoSuchModuleError"):
        return (f"database URL not understood: {detail}; expected "
                "'postgresql+psycopg://user@host:port/db' or 'sqlite:///path/ecohub.db'")
    return f"database: {detail}"


def _first_line(error: BaseException) -> str:
    text = str(error).strip()
    return text.splitlines()[0] if text else type(error).__name__
