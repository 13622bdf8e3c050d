"""Proof files uploaded in pieces: what a receiver holds of a file it has not got whole yet.

A piece is ``Content-Range: bytes START-END/TOTAL`` on ``PUT /sync/proofs/{sha256}``
(:mod:`sync.proof_http`). The bytes received so far live in ``<folder>/<sha256>.part``
(appended and fsynced before a piece is answered), so a cut upload continues from
the offset the receiver reports, not from the start. The file is checked (its
sha256, a picture) only once whole; a failed check drops the piece file, so the
next upload starts over.
"""

from __future__ import annotations

import asyncio
import os
import re
from dataclasses import dataclass
from pathlib import Path

import anyio

from protocol.proofs import MAX_PROOF_BYTES, is_sha256

_RANGE = re.compile(r"bytes (\d{1,12})-(\d{1,12})/(\d{1,12})")


class BadRange(ValueError):
    """A ``Content-Range`` header that does not describe the body (400)."""


class TooLarge(ValueError):
    """A file larger than :data:`protocol.proofs.MAX_PROOF_BYTES` (413)."""


class WrongOffset(ValueError):
    """A piece that does not start where the receiver's bytes end (416)."""

    def __init__(self, held: int):
        super().__init__(f"Content-Range: this upload continues at byte {held}")
        self.held = held


@dataclass(frozen=True, slots=True)
class Piece:
    """One ``Content-Range`` piece: bytes ``start``..``end`` (inclusive) of ``total``."""

    start: int
    end: int
    total: int

    @property
    def last(self) -> bool:
        return self.end + 1 == self.total


def parse_range(header: str, body_length: int) -> Piece:
    """The piece a ``Content-Range`` header describes, checked against the body's length."""
    match = _RANGE.fullmatch(header.strip())
    if match is None:
        raise BadRange(f"Content-Range: {header[:60]!r} is not like 'bytes 0-65535/200000'")
    start, end, total = (int(g) for g in match.groups())
    if total > MAX_PROOF_BYTES:
        raise TooLarge(f"Content-Range: larger than {MAX_PROOF_BYTES // (1024 * 1024)} MB")
    if not start <= end < total or end - start + 1 != body_length:
        raise BadRange(
            f"Content-Range: bytes {start}-{end}/{total} does not match a body of "
            f"{body_length} bytes"
        )
    return Piece(start, end, total)


class PartialUploads:
    """The pieces received so far, one file per sha256 in ``folder``."""

    def __init__(self, folder: Path):
        self.folder = folder
        self._locks: dict[str, asyncio.Lock] = {}

    def _path(self, sha256: str) -> Path:
        if not is_sha256(sha256):
            raise ValueError(f"sha256: {sha256!r} is not a lower-case hex sha256")
        return self.folder / f"{sha256}.part"

    def lock(self, sha256: str) -> asyncio.Lock:
        """One upload of a file at a time (pieces of it must not interleave)."""
        return self._locks.setdefault(sha256, asyncio.Lock())

    async def held(self, sha256: str) -> int:
        """How many bytes of ``sha256`` are held (0 for none)."""
        try:
            return (await anyio.Path(self._path(sha256)).stat()).st_size
        except FileNotFoundError:
            return 0

    async def add(self, sha256: str, piece: Piece, data: bytes) -> int:
        """Append ``data`` (piece ``piece``) durably; returns the bytes held after it.
        ``WrongOffset`` unless the piece starts where the held bytes end."""
        held = await self.held(sha256)
        if piece.start != held:
            raise WrongOffset(held)
        await anyio.to_thread.run_sync(self._append, self._path(sha256), data)
        return held + len(data)

    def _append(self, target: Path, data: bytes) -> None:
        self.folder.mkdir(parents=True, exist_ok=True)
        with target.open("ab") as f:
            f.write(data)
            f.flush()
            os.fsync(f.fileno())

    async def take(self, sha256: str) -> bytes:
        """The whole file's bytes, the piece file removed."""
        target = anyio.Path(self._path(sha256))
        data = await target.read_bytes()
        await self.drop(sha256)
        return data

    async def drop(self, sha256: str) -> None:
        """Forget what was held of ``sha256``."""
        await anyio.Path(self._path(sha256)).unlink(missing_ok=True)
        self._locks.pop(sha256, None)
