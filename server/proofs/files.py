"""Central's proof files on disk (``central.db.proofs/<sha256>``)."""

from __future__ import annotations

import os
from pathlib import Path

import anyio

from protocol.proofs import image_type, is_sha256


class ProofFiles:
    """Content-addressed files in one folder; writes are durable before they are answered."""

    def __init__(self, folder: Path):
        self.folder = folder

    @classmethod
    def beside(cls, db_path: str | Path) -> ProofFiles:
        return cls(Path(f"{db_path}.proofs"))

    def path(self, sha256: str) -> Path:
        if not is_sha256(sha256):
            raise ValueError(f"sha256: {sha256!r} is not a lower-case hex sha256")
        return self.folder / sha256

    async def has(self, sha256: str) -> bool:
        return await anyio.Path(self.path(sha256)).exists()

    async def read(self, sha256: str) -> tuple[bytes, str] | None:
        """The file's bytes and media type, or None when not held."""
        target = anyio.Path(self.path(sha256))
        if not await target.exists():
            return None
        data = await target.read_bytes()
        return data, image_type(data) or "application/octet-stream"

    async def write(self, sha256: str, data: bytes) -> None:
        """Store ``data`` (already checked) under its name: write, fsync, rename, fsync dir."""
        await anyio.to_thread.run_sync(self._write, self.path(sha256), data)

    def _write(self, target: Path, data: bytes) -> None:
        self.folder.mkdir(parents=True, exist_ok=True)
        partial = target.with_name(f".{target.name}.{os.getpid()}.part")
        with partial.open("wb") as f:
            f.write(data)
            f.flush()
            os.fsync(f.fileno())
        partial.replace(target)
        fd = os.open(self.folder, os.O_RDONLY)
        try:
            os.fsync(fd)
        finally:
            os.close(fd)
