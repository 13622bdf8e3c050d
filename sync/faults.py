"""Telling a storage fault (full disk, read-only file) from a bug.

A write that fails because the replica file cannot be written is not the
client's fault and not a bug in the code: the server answers 503 with the
reason, logs it, and the next write after space returns succeeds (SQLite rolls
the failed transaction back). :func:`storage_fault` names such a failure.
"""

from __future__ import annotations

import sqlite3

# primary result codes (the low byte of an extended code), https://sqlite.org/rescode.html
_REASONS = {
    5: "the database is busy (locked by another writer): retry shortly",
    8: "the database file is read-only: writes are refused until it is writable again",
    10: "the disk could not be written (I/O error): check the disk",
    13: "the disk is full: writes are refused until space is freed",
    14: "the database file cannot be opened: check its directory and permissions",
}


def storage_fault(exc: BaseException) -> str | None:
    """The reason ``exc`` is a storage fault (say what to do), or ``None`` if it is not one."""
    if not isinstance(exc, sqlite3.OperationalError | sqlite3.DatabaseError):
        return None
    if reason := getattr(exc, "database_fault", None):  # PostgreSQL's (see ._postgres)
        return str(reason)
    code = getattr(exc, "sqlite_errorcode", None)
    if isinstance(code, int):
        return _REASONS.get(code & 0xFF)
    return None
