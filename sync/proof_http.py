"""``PUT /sync/proofs/{sha256}?doc_id=...``: a device uploads one proof file, whole or
in pieces; ``HEAD`` on the same address says how much of it is held.

Served by central and by a depot edge to its handhelds, over a
:class:`ProofSink` (where the files go) and :class:`PartialUploads` (the
pieces of files not yet whole). A PUT answers 201 (stored), 200 (already
held: uploads are idempotent), 202 (a piece held; ``Upload-Offset`` says where
the next starts), 400 (bad name, doc_id or ``Content-Range``), 401 (no
device), 403 (not a field device), 409 (no delivery of that shipment the
device may upload for names the file yet: upload again after the events
synced), 413 (too large), 415 (not a picture), 416 (a piece that does not
start at ``Upload-Offset``), 422 (the bytes do not hash to the name). A
refusal stores nothing. ``HEAD`` answers 200 with ``Proof-Stored: complete``,
or ``partial`` / ``none`` and the ``Upload-Offset`` to continue from, so a
cut upload resumes where it stopped (:mod:`sync.proof_parts`).
"""

from __future__ import annotations

import hashlib
from typing import Any, Protocol

from litestar import Request, Response, head, put
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
from .proof_parts import BadRange, PartialUploads, Piece, TooLarge, WrongOffset, parse_range
from .proofs import upload_allowed
from .store import ReplicaStore

OFFSET, STORED = "Upload-Offset", "Proof-Stored"


class NotReferenced(ClientException):
    status_code = 409


class UnsupportedMedia(ClientException):
    status_code = 415


class HashMismatch(ClientException):
    status_code = 422


class RangeNotSatisfiable(ClientException):
    status_code = 416


class PayloadTooLarge(ClientException):
    status_code = 413


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


def proof_routes(
    store: ReplicaStore | Any,
    authenticate: Authenticate,
    sink: ProofSink | Any,
    parts: PartialUploads,
) -> list[HTTPRouteHandler]:
    """The upload and status routes; ``store`` and ``sink`` may be callables (built after
    the app)."""

    def current(thing: Any) -> Any:
        return thing() if callable(thing) else thing

    async def allowed(request: Request[Any, Any, Any], sha256: str, doc_id: str) -> None:
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

    @head("/sync/proofs/{sha256:str}", include_in_schema=False)
    async def status(
        request: Request[Any, Any, Any], sha256: FromPath[str], doc_id: FromQuery[str] = ""
    ) -> Response[None]:
        """How much of the file is held: all of it, or the offset to continue from."""
        await allowed(request, sha256, doc_id)
        if await current(sink).has(sha256):
            return Response(None, headers={STORED: "complete"}, media_type="text/plain")
        held = await parts.held(sha256)
        said = {STORED: "partial" if held else "none", OFFSET: str(held)}
        return Response(None, headers=said, media_type="text/plain")

    @put(
        "/sync/proofs/{sha256:str}",
        request_max_body_size=MAX_PROOF_BYTES,
        include_in_schema=False,
        status_code=201,
    )
    async def upload(
        request: Request[Any, Any, Any], sha256: FromPath[str], doc_id: FromQuery[str] = ""
    ) -> Response[dict[str, str]]:
        """Store one proof file (or a piece of it) a delivery the device may upload for
        refers to."""
        await allowed(request, sha256, doc_id)
        target = current(sink)
        if await target.has(sha256):
            return Response({"sha256": sha256, "stored": "already"}, status_code=200)
        data: bytes | None = await request.body()
        header = request.headers.get("content-range")
        if header is not None:
            async with parts.lock(sha256):
                data = await _piece(parts, sha256, header, data or b"")
        if data is None:
            held = await parts.held(sha256)
            answer = {"sha256": sha256, "stored": "partial", "offset": str(held)}
            return Response(answer, status_code=202, headers={OFFSET: str(held)})
        check_body(sha256, data)
        await target.put(sha256, data, doc_id)
        return Response({"sha256": sha256, "stored": "now"}, status_code=201)

    return [status, upload]


async def _piece(parts: PartialUploads, sha256: str, header: str, data: bytes) -> bytes | None:
    """Keep one piece; the whole file once its last piece arrived, else None.

    A first piece that is not the start of a picture is refused at once (415); a
    whole file that fails its check is dropped, so the next upload starts over."""
    try:
        piece: Piece = parse_range(header, len(data))
        if piece.start == 0 and image_type(data) is None:
            raise UnsupportedMedia("body: not a PNG, JPEG or WebP picture")
        await parts.add(sha256, piece, data)
    except BadRange as exc:
        raise ValidationException(str(exc)) from None
    except TooLarge as exc:
        raise PayloadTooLarge(str(exc)) from None
    except WrongOffset as exc:
        raise RangeNotSatisfiable(str(exc), headers={OFFSET: str(exc.held)}) from None
    if not piece.last:
        return None
    whole = await parts.take(sha256)
    if len(whole) != piece.total:
        raise ValidationException(
            f"Content-Range: the pieces make {len(whole)} bytes, not {piece.total}"
        )
    return whole
