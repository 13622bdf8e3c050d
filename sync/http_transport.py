"""Sync over HTTP: the codec, the Litestar routes and the client channel.

Central and the depot edge both serve ``POST /sync/push``, ``POST /sync/pull``
and ``POST /sync/vectors`` (anti-entropy) with this module, so neither imports
the other. Bodies are
MessagePack (``application/msgpack``) or, for debugging, JSON
(``application/json``); the answer uses the request's format. Every failure
answers with a :class:`protocol.wire.ErrorReply` and a 4xx status:

TransportError (SyncError)        status
 ├── Unauthorized                  401  missing, unknown or revoked token
 ├── UnsupportedMediaType          415  neither MessagePack nor JSON
 ├── MalformedBody                 400  truncated, garbled or invalid message
 ├── BodyTooLarge                  413  over the size limit
 │   (LimitExceeded, from the session: 413, e.g. too many items in one push)
 │   (a push whose every item is malformed is answered 422 with its PushResponse)
 └── RemoteRefused                 4xx  (client side) the server said no

Request bodies may be gzipped (``Content-Encoding: gzip``, RFC 7694): every
answer says ``Accept-Encoding: gzip``, and a channel made with ``compress=True``
(the edge nodes' are) gzips its larger bodies once its server has said so, so
an older server is never sent gzip.
An unknown coding is refused with 415 and a body that inflates past the size
limit with 413.
"""

from __future__ import annotations

import zlib
from collections.abc import Awaitable, Callable
from typing import Any, Literal, TypeVar

import httpx
import msgspec
from litestar import Request, Response, Router, post
from litestar.exceptions.http_exceptions import RequestEntityTooLarge

from protocol.errors import ProtocolError, UnsupportedVersion
from protocol.permissions import Device
from protocol.wire import (
    ErrorReply,
    PullRequest,
    PullResponse,
    PushRequest,
    PushResponse,
    ServerMessage,
    VectorsRequest,
    VectorsResponse,
    msgpack_encoder,
    server_decoder,
)

from .channel import ChannelClosed
from .errors import ScopeDenied, SyncError
from .limits import LimitExceeded
from .server_session import SyncServer

MSGPACK = "application/msgpack"
GZIP = "gzip"
COMPRESS_FROM = 512  # bytes: smaller bodies are not worth a gzip header and trailer
JSON = "application/json"
MAX_BODY = 8 * 1024 * 1024
_MSGPACK_TYPES = frozenset({MSGPACK, "application/x-msgpack", "application/vnd.msgpack"})

# Item codes that mean "this was not a valid document update at all"; a push
# made only of such items is answered 422 (the body still says why per item).
MALFORMED_ITEM_CODES = frozenset(
    {"bad_update", "unknown_doc_type", "invalid_doc_id", "doc_type_mismatch", "unknown_root"}
)

WireFormat = Literal["msgpack", "json"]
Authenticate = Callable[[str], Awaitable[Device | None]]
T = TypeVar("T", PushRequest, PullRequest, VectorsRequest)


class TransportError(SyncError):
    """A request refused before the session logic saw it."""

    code = "bad_request"
    status_code = 400


class Unauthorized(TransportError):
    code = "unauthorized"
    status_code = 401


class UnsupportedMediaType(TransportError):
    code = "unsupported_media_type"
    status_code = 415


class MalformedBody(TransportError):
    code = "malformed_body"
    status_code = 400


class BodyTooLarge(TransportError):
    code = "body_too_large"
    status_code = 413


class RemoteRefused(TransportError):
    """Client side: the server answered 4xx with an ``ErrorReply``."""

    def __init__(self, status_code: int, code: str, message: str):
        super().__init__(f"{status_code} {code}: {message}")
        self.status_code, self.code, self.message = status_code, code, message


def wire_format(content_type: str | None) -> WireFormat:
    """``msgpack`` or ``json`` from a Content-Type header, else ``UnsupportedMediaType``."""
    media = (content_type or "").split(";", 1)[0].strip().lower()
    if media in _MSGPACK_TYPES:
        return "msgpack"
    if media == JSON:
        return "json"
    raise UnsupportedMediaType(
        f"Content-Type {content_type or '(none)'!r} is not supported: "
        f"send {MSGPACK} (or {JSON} for debugging)"
    )


def inflate(body: bytes, content_encoding: str | None, limit: int) -> bytes:
    """``body`` with its ``Content-Encoding`` (identity or gzip) undone, at most ``limit`` bytes."""
    coding = (content_encoding or "identity").strip().lower()
    if coding == "identity":
        return body
    if coding != GZIP:
        raise UnsupportedMediaType(
            f"Content-Encoding {content_encoding!r} is not supported: send {GZIP} or identity"
        )
    inflater = zlib.decompressobj(wbits=31)  # 31: gzip header and trailer
    try:
        data = inflater.decompress(body, limit + 1)
    except zlib.error as exc:
        raise MalformedBody(f"Content-Encoding gzip: body does not inflate: {exc}") from None
    if len(data) > limit:
        raise BodyTooLarge(f"gzip body inflates past {limit} bytes: push smaller batches")
    if not inflater.eof:
        raise MalformedBody("Content-Encoding gzip: body is truncated (no gzip trailer)")
    return data


def decode_request(body: bytes, content_type: str | None, kind: type[T]) -> tuple[T, WireFormat]:
    """Decode a request body of type ``kind``; ``MalformedBody`` names the problem."""
    fmt = wire_format(content_type)
    try:
        if fmt == "msgpack":
            message = msgspec.msgpack.decode(body, type=kind)
        else:
            message = msgspec.json.decode(body, type=kind)
    except msgspec.ValidationError as exc:
        raise MalformedBody(f"{kind.__name__} does not validate: {exc}") from None
    except msgspec.DecodeError as exc:
        raise MalformedBody(f"body is not valid {fmt} (truncated or garbled?): {exc}") from None
    except RecursionError:
        raise MalformedBody(f"{kind.__name__}: body is nested too deep") from None
    return message, fmt


def encode_reply(message: ServerMessage, fmt: WireFormat) -> bytes:
    """Encode an answer in the request's format."""
    return msgpack_encoder.encode(message) if fmt == "msgpack" else msgspec.json.encode(message)


def error_reply(exc: Exception) -> tuple[int, ErrorReply]:
    """The HTTP status and ``ErrorReply`` for a sync or protocol error."""
    if not isinstance(exc, SyncError | ProtocolError):
        raise exc
    if isinstance(exc, TransportError):
        status = exc.status_code
    elif isinstance(exc, UnsupportedVersion):
        status = 426
    elif isinstance(exc, ScopeDenied):
        status = 403
    elif isinstance(exc, LimitExceeded):
        status = 413
    else:
        status = 400
    return status, ErrorReply(exc.code, str(exc))


def bearer_token(authorization: str | None, query_token: str | None = None) -> str:
    """The token of an ``Authorization: Bearer`` header (or a ``token`` query value)."""
    scheme, _, token = (authorization or "").partition(" ")
    if scheme.lower() == "bearer" and token.strip():
        return token.strip()
    if query_token:
        return query_token
    raise Unauthorized("missing token: send 'Authorization: Bearer <device token>'")


async def authorize(authenticate: Authenticate, token: str) -> Device:
    """The device holding ``token``, or ``Unauthorized``."""
    device = await authenticate(token)
    if device is None:
        raise Unauthorized("unknown or revoked token: enrol the device again")
    return device


def _all_malformed(reply: ServerMessage) -> bool:
    """A push none of whose items was stored because each was malformed input."""
    if not isinstance(reply, PushResponse) or not reply.results:
        return False
    return all(not r.accepted and r.code in MALFORMED_ITEM_CODES for r in reply.results)


async def _serve(
    request: Request[Any, Any, Any],
    authenticate: Authenticate,
    kind: type[T],
    handle: Callable[[Device, T], Awaitable[ServerMessage]],
    max_body: int,
) -> Response[bytes]:
    fmt: WireFormat = "msgpack"
    try:
        fmt = wire_format(request.headers.get("content-type"))
        device = await authorize(authenticate, bearer_token(request.headers.get("authorization")))
        try:
            body = await request.body()
        except RequestEntityTooLarge:
            raise BodyTooLarge(
                "request body is over the size limit: push smaller batches"
            ) from None
        body = inflate(body, request.headers.get("content-encoding"), max_body)
        message, fmt = decode_request(body, request.headers.get("content-type"), kind)
        reply = await handle(device, message)
        status = 422 if _all_malformed(reply) else 200
    except (SyncError, ProtocolError) as exc:
        status, reply = error_reply(exc)
    media = MSGPACK if fmt == "msgpack" else JSON
    return Response(
        encode_reply(reply, fmt),
        status_code=status,
        media_type=media,
        headers={"accept-encoding": GZIP},
    )


def sync_router(
    server: SyncServer | Callable[[], SyncServer],
    authenticate: Authenticate,
    *,
    path: str = "/sync",
    max_body: int = MAX_BODY,
) -> Router:
    """``POST {path}/push``, ``{path}/pull`` and ``{path}/vectors`` serving ``server``.

    ``server`` may be a callable returning the server, for apps that open
    their store in a lifespan hook after the routes are built.
    """

    def current() -> SyncServer:
        return server if isinstance(server, SyncServer) else server()

    @post("/push", request_max_body_size=max_body, include_in_schema=False)
    async def push(request: Request[Any, Any, Any]) -> Response[bytes]:
        return await _serve(request, authenticate, PushRequest, current().push, max_body)

    @post("/pull", request_max_body_size=max_body, include_in_schema=False)
    async def pull(request: Request[Any, Any, Any]) -> Response[bytes]:
        return await _serve(request, authenticate, PullRequest, current().pull, max_body)

    @post("/vectors", request_max_body_size=max_body, include_in_schema=False)
    async def vectors(request: Request[Any, Any, Any]) -> Response[bytes]:
        return await _serve(request, authenticate, VectorsRequest, current().vectors, max_body)

    return Router(path=path, route_handlers=[push, pull, vectors])


class HttpChannel:
    """A :class:`sync.channel.Channel` over HTTP with MessagePack bodies.

    Connection errors, timeouts and 5xx answers raise ``ChannelClosed`` (retry
    later); a 4xx answer raises ``RemoteRefused`` with the server's reason.
    """

    def __init__(self, base_url: str, token: str, *, timeout: float = 30.0, compress: bool = False):
        self._client = httpx.AsyncClient(
            base_url=base_url.rstrip("/"),
            timeout=timeout,
            headers={"authorization": f"Bearer {token}", "content-type": MSGPACK},
        )
        self.bytes_sent = 0
        self.bytes_received = 0
        self.compress = compress  # gzip bodies of COMPRESS_FROM bytes or more...
        self.gzip = False  # ...once the server said it accepts them

    async def push(self, request: PushRequest) -> PushResponse:
        """Send one push batch."""
        answer = await self._call("/sync/push", msgpack_encoder.encode(request))
        if not isinstance(answer, PushResponse):
            raise ChannelClosed(f"expected a PushResponse, got {type(answer).__name__}")
        return answer

    async def pull(self, request: PullRequest) -> PullResponse:
        """Ask for one page of updates."""
        answer = await self._call("/sync/pull", msgpack_encoder.encode(request))
        if not isinstance(answer, PullResponse):
            raise ChannelClosed(f"expected a PullResponse, got {type(answer).__name__}")
        return answer

    async def vectors(self, request: VectorsRequest) -> VectorsResponse:
        """Anti-entropy: compare digests, or ask for state vectors."""
        answer = await self._call("/sync/vectors", msgpack_encoder.encode(request))
        if not isinstance(answer, VectorsResponse):
            raise ChannelClosed(f"expected a VectorsResponse, got {type(answer).__name__}")
        return answer

    async def _call(self, path: str, body: bytes) -> ServerMessage:
        headers = {}
        if self.compress and self.gzip and len(body) >= COMPRESS_FROM:
            body = zlib.compress(body, wbits=31)
            headers["content-encoding"] = GZIP
        try:
            response = await self._client.post(path, content=body, headers=headers)
        except httpx.HTTPError as exc:
            raise ChannelClosed(f"POST {path} failed: {exc!r}") from exc
        self.gzip = GZIP in response.headers.get("accept-encoding", "")
        self.bytes_sent += len(body)
        self.bytes_received += len(response.content)
        if response.status_code >= 500:
            raise ChannelClosed(f"POST {path}: server error {response.status_code}")
        try:
            answer: ServerMessage = server_decoder.decode(response.content)
        except msgspec.DecodeError as exc:
            if response.status_code >= 400:
                raise RemoteRefused(response.status_code, "http_error", response.text) from None
            raise ChannelClosed(f"POST {path}: answer does not decode: {exc}") from exc
        if isinstance(answer, ErrorReply):
            raise RemoteRefused(response.status_code, answer.code, answer.message)
        return answer  # a PushResponse may come with 422: every item was malformed

    async def aclose(self) -> None:
        """Close the connection pool."""
        await self._client.aclose()

    async def __aenter__(self) -> HttpChannel:
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.aclose()
