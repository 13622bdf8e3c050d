"""``PUT /sync/proofs/{sha256}?doc_id=...``: a device uploads one proof file.

Served by central and by a depot edge to its handhelds, over a
:class:`ProofSink` (where the files go). Answers 201 (stored), 200 (already
held: uploads are idempotent), 400 (bad name or doc_id), 401 (no device),
403 (not a field device), 409 (no delivery of that shipment the device may
upload for names the file yet: upload again after the events synced), 413
(too large), 415 (not a picture), 422 (the bytes do not hash to the name).
A refusal stores nothing.
"""

from __future__ import annotations

import hashlib
from typing import Any, Protocol

from litestar import Request, Response, put
from litestar.exceptions import (
    ClientException,
    NotAuthorizedException,
    PermissionDeniedException,
    ValidationException,
)
from litestar.handlers import HTTPRouteHandler
from litestar.params import FromPath, FromQuery

from protocol.ids import is_uuid
from protocol.proofs import MAX_PROOF_BYTES, image_type, is_sha256, proof_problem
from protocol.vocab import Role

from .http_transport import Authenticate, Unauthorized, authorize, bearer_token
from .proofs import upload_allowed
from .store import ReplicaStore


class NotReferenced(ClientException):
    status_code = 409


class UnsupportedMedia(ClientException):
    status_code = 415


class HashMismatch(ClientException):
    status_code = 422


class ProofSink(Protocol):
    """Where accepted proof files go (central's folder, a depot's outbox of files)."""

    async def has(self, sha256: str) -> bool: ...

    async def put(self, sha256: str, data: bytes, doc_id: str) -> None: ...


def check_name(sha256: str, doc_id: str) -> None:
    """400 unless ``sha256`` names a file and ``doc_id`` a document."""
    if not is_sha256(sha256):
        raise ValidationException(f"sha256: {sha256[:80]!r} is not a lower-case hex sha256")
    if not is_uuid(doc_id):
        raise ValidationException(f"doc_id: {doc_id[:80]!r} is not a shipment id")


def check_body(sha256: str, data: bytes) -> None:
    """422 unless the bytes hash to ``sha256``; 415/400 unless they are a proof picture."""
    if hashlib.sha256(data).hexdigest() != sha256:
        raise HashMismatch("body: its sha256 is not the name it was uploaded under")
    problem = proof_problem(data)
    if problem is not None:
        kind = UnsupportedMedia if data and image_type(data) is None else ValidationException
        raise kind(f"body: {problem}")


def proof_route(
    store: ReplicaStore | Any, authenticate: Authenticate, sink: ProofSink | Any
) -> HTTPRouteHandler:
    """The upload route; ``store`` and ``sink`` may be callables (built after the app)."""

    def current(thing: Any) -> Any:
        return thing() if callable(thing) else thing

    @put(
        "/sync/proofs/{sha256:str}",
        request_max_body_size=MAX_PROOF_BYTES,
        include_in_schema=False,
        status_code=201,
    )
    async def upload(
        request: Request[Any, Any, Any], sha256: FromPath[str], doc_id: FromQuery[str] = ""
    ) -> Response[dict[str, str]]:
        """Store one proof file a delivery the device may upload for refers to."""
        try:
            device = await authorize(
                authenticate, bearer_token(request.headers.get("authorization"))
            )
        except Unauthorized as exc:
            raise NotAuthorizedException(str(exc)) from None
        check_name(sha256, doc_id)
        if device.role not in (Role.COURIER, Role.DEPOT):
            raise PermissionDeniedException("only handhelds and depots upload proof files")
        if not await upload_allowed(current(store), device, doc_id, sha256):
            raise NotReferenced(
                f"sha256: no delivery of {doc_id} that {device.id} may upload for refers to "
                "this file yet; sync the events, then upload again"
            )
        target = current(sink)
        if await target.has(sha256):
            return Response({"sha256": sha256, "stored": "already"}, status_code=200)
        data = await request.body()
        check_body(sha256, data)
        await target.put(sha256, data, doc_id)
        return Response({"sha256": sha256, "stored": "now"}, status_code=201)

    return upload
