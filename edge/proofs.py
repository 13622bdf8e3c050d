"""Proof files (signatures, photos) kept on the node, content-addressed by sha256.

Files live in a folder beside the replica (``hh.db`` -> ``hh.db.proofs/``),
named by the hex sha256 of their bytes, so saving the same picture twice is
one file and central can check what it receives against the name. Only
pictures :func:`protocol.proofs.proof_problem` accepts are kept.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import os
from pathlib import Path

from protocol.proofs import proof_problem

from .commands import Attachment
from .errors import InvalidInput

SIGNATURE_PREFIX = "data:image/png;base64,"


def proof_folder(db: str | Path) -> Path:
    """Where the proof files of the replica ``db`` live."""
    return Path(f"{db}.proofs")


def check_proof(data: bytes, what: str) -> None:
    """``InvalidInput`` unless ``data`` is a picture :mod:`protocol.proofs` accepts."""
    problem = proof_problem(data)
    if problem is not None:
        raise InvalidInput(f"{what}: {problem}")


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
