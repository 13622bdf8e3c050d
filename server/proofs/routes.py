"""``PUT /sync/proofs/{sha256}?doc_id=...``: a device uploads one proof file.

Answers 201 (stored), 200 (already held: uploads are idempotent), 400 (bad
name or doc_id), 401 (no device), 403 (not a field device), 409 (no delivery
of that shipment by this device refers to the file yet: upload again after
the events synced), 413 (too large), 415 (not a picture), 422 (the bytes do
not hash to the name). A refusal stores nothing.
"""

from __future__ import annotations

import hashlib
from typing import Any

from litestar import Request, Response, put
from litestar.di import NamedDependency
from litestar.exceptions import (
    ClientException,
    PermissionDeniedException,
    ValidationException,
)
from litestar.params import FromPath, FromQuery
from litestar.types import ControllerRouterHandler

from protocol.ids import is_uuid
from protocol.permissions import Device
from protocol.proofs import MAX_PROOF_BYTES, image_type, is_sha256, proof_problem
from protocol.vocab import Role

from ..core import Central
from .files import ProofFiles, delivery_proofs


class NotReferenced(ClientException):
    status_code = 409


class UnsupportedMedia(ClientException):
    status_code = 415


class HashMismatch(ClientException):
    status_code = 422


def _check_name(sha256: str, doc_id: str) -> None:
    if not is_sha256(sha256):
        raise ValidationException(f"sha256: {sha256[:80]!r} is not a lower-case hex sha256")
    if not is_uuid(doc_id):
        raise ValidationException(f"doc_id: {doc_id[:80]!r} is not a shipment id")


def _check_body(sha256: str, data: bytes) -> None:
    if hashlib.sha256(data).hexdigest() != sha256:
        raise HashMismatch("body: its sha256 is not the name it was uploaded under")
    problem = proof_problem(data)
    if problem is not None:
        kind = UnsupportedMedia if image_type(data) is None and data else ValidationException
        raise kind(f"body: {problem}")


async def _referenced(central: Central, device: Device, doc_id: str, sha256: str) -> bool:
    for proof in await delivery_proofs(central.store, doc_id):
        if proof.device == device.id and sha256 in (proof.signature_sha256, proof.photo_sha256):
            return True
    return False


def proof_handlers(central: Central) -> list[ControllerRouterHandler]:
    """The upload route over ``central``'s proof folder."""
    files = ProofFiles.beside(central.db_path)

    @put(
        "/sync/proofs/{sha256:str}",
        request_max_body_size=MAX_PROOF_BYTES,
        include_in_schema=False,
        status_code=201,
    )
    async def upload(
        request: Request[Any, Any, Any],
        sha256: FromPath[str],
        device: NamedDependency[Device],
        doc_id: FromQuery[str] = "",
    ) -> Response[dict[str, str]]:
        """Store one proof file the uploading device's delivery refers to."""
        _check_name(sha256, doc_id)
        if device.role not in (Role.COURIER, Role.DEPOT):
            raise PermissionDeniedException("only handhelds and depots upload proof files")
        if not await _referenced(central, device, doc_id, sha256):
            raise NotReferenced(
                f"sha256: no delivery of {doc_id} by {device.id} refers to this file yet; "
                "sync the events, then upload again"
            )
        if await files.has(sha256):
            return Response({"sha256": sha256, "stored": "already"}, status_code=200)
        _check_body(sha256, await request.body())
        await files.write(sha256, await request.body())
        return Response({"sha256": sha256, "stored": "now"}, status_code=201)

    return [upload]
