"""Secrets kept beside a replica file, not in it: one small file, owner-only (0600).

A copy or backup of the SQLite file then carries no secret (the office session
secret at central, the upstream token on an edge). The file is written whole
under a temporary name and linked into place, so a reader never sees half of it
and two processes creating it at once end up with the same content.
"""

from __future__ import annotations

import os
import secrets
from collections.abc import Callable
from pathlib import Path

OWNER_ONLY = 0o600


def read_secret(path: str | Path) -> str | None:
    """The secret stored at ``path`` (stripped), or None when there is none."""
    try:
        text = Path(path).read_text().strip()
    except FileNotFoundError:
        return None
    return text or None


def write_secret(path: str | Path, secret: str) -> None:
    """Store ``secret`` at ``path`` (replacing it), readable by the owner only."""
    target = Path(path)
    temporary = target.with_name(f".{target.name}.{secrets.token_hex(6)}")
    _write_new(temporary, secret)
    os.replace(temporary, target)


def read_or_create_secret(path: str | Path, make: Callable[[], str]) -> str:
    """The secret at ``path``; when there is none, ``make()`` is stored there first.

    Two processes racing to create it both return the one that won.
    """
    found = read_secret(path)
    if found is not None:
        return found
    target = Path(path)
    temporary = target.with_name(f".{target.name}.{secrets.token_hex(6)}")
    _write_new(temporary, make())
    try:
        os.link(temporary, target)  # fails if another process created it meanwhile
    except FileExistsError:
        pass
    finally:
        temporary.unlink()
    stored = read_secret(target)
    if stored is None:
        raise OSError(f"{target} is empty: delete it and start again")
    return stored


def _write_new(path: Path, secret: str) -> None:
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, OWNER_ONLY)
    with os.fdopen(fd, "w") as out:
        out.write(secret + "\n")
        out.flush()
        os.fsync(out.fileno())
