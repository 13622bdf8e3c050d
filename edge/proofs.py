"""Proof files (signatures, photos) kept on the node, content-addressed by sha256.

Files live in a folder beside the replica (``hh.db`` -> ``hh.db.proofs/``),
named by the hex sha256 of their bytes, so saving the same picture twice is
one file and central can check what it receives against the name. Only
images are kept (PNG, JPEG, WebP, by their first bytes), each at most
:data:`MAX_PROOF_BYTES`.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import os
from pathlib import Path

from .commands import Attachment
from .errors import InvalidInput

MAX_PROOF_BYTES = 4 * 1024 * 1024
SIGNATURE_PREFIX = "data:image/png;base64,"
_MAGIC = {
    b"\x89PNG\r\n\x1a\n": "image/png",
    b"\xff\xd8\xff": "image/jpeg",
}


def image_type(data: bytes) -> str | None:
    """The media type of an image by its first bytes; None when not PNG, JPEG or WebP."""
    if data[:4] == b"RIFF" and data[8:12] == b"WEBP":
        return "image/webp"
    return next((kind for magic, kind in _MAGIC.items() if data.startswith(magic)), None)


def proof_folder(db: str | Path) -> Path:
    """Where the proof files of the replica ``db`` live."""
    return Path(f"{db}.proofs")


def check_proof(data: bytes, what: str) -> None:
    """``InvalidInput`` unless ``data`` is a non-empty image within the size limit."""
    if not data:
        raise InvalidInput(f"{what}: the file is empty")
    if len(data) > MAX_PROOF_BYTES:
        raise InvalidInput(f"{what}: larger than {MAX_PROOF_BYTES // (1024 * 1024)} MB")
    if image_type(data) is None:
        raise InvalidInput(f"{what}: not a PNG, JPEG or WebP picture")


def save_proof(folder: Path, data: bytes, what: str) -> Attachment:
    """Check and store ``data`` under its sha256 (atomically: write, fsync, rename)."""
    check_proof(data, what)
    digest = hashlib.sha256(data).hexdigest()
    folder.mkdir(parents=True, exist_ok=True)
    target = folder / digest
    if not target.exists():
        partial = folder / f".{digest}.part"
        with partial.open("wb") as f:
            f.write(data)
            f.flush()
            os.fsync(f.fileno())
        partial.replace(target)
    return Attachment(digest, str(target))


def signature_bytes(data_url: str) -> bytes:
    """The PNG inside a canvas ``toDataURL()`` string; b"" for none."""
    if not data_url:
        return b""
    if not data_url.startswith(SIGNATURE_PREFIX):
        raise InvalidInput("signature: not a drawn signature (PNG data URL expected)")
    try:
        return base64.b64decode(data_url[len(SIGNATURE_PREFIX) :], validate=True)
    except binascii.Error:
        raise InvalidInput("signature: the drawing could not be read; draw it again") from None
