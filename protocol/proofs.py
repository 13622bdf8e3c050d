"""Proof-of-delivery files (signatures, photos): what any node accepts as one.

A proof file is named by the hex sha256 of its bytes; it is a PNG, JPEG or
WebP picture (told by its first bytes) of at most :data:`MAX_PROOF_BYTES`.
"""

from __future__ import annotations

import re

MAX_PROOF_BYTES = 4 * 1024 * 1024
_SHA256 = re.compile(r"[0-9a-f]{64}")
_MAGIC = {
    b"\x89PNG\r\n\x1a\n": "image/png",
    b"\xff\xd8\xff": "image/jpeg",
}


def image_type(data: bytes) -> str | None:
    """The media type of a picture by its first bytes; None unless PNG, JPEG or WebP."""
    if data[:4] == b"RIFF" and data[8:12] == b"WEBP":
        return "image/webp"
    return next((kind for magic, kind in _MAGIC.items() if data.startswith(magic)), None)


def is_sha256(name: str) -> bool:
    """True for a lower-case hex sha256 (the name of a proof file)."""
    return _SHA256.fullmatch(name) is not None


def proof_problem(data: bytes) -> str | None:
    """Why ``data`` is not an acceptable proof file, or None when it is."""
    if not data:
        return "the file is empty"
    if len(data) > MAX_PROOF_BYTES:
        return f"larger than {MAX_PROOF_BYTES // (1024 * 1024)} MB"
    if image_type(data) is None:
        return "not a PNG, JPEG or WebP picture"
    return None
