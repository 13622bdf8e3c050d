"""Failed sign-ins per client: after too many, the client is locked out for a while.

Every answer that refuses a credential counts as one failure of the client that
sent it: an HTTP 401 to a request that presented one (a bearer token, a
``?token=``, the office login form) and a WebSocket closed with 4401
(``/sync/live``, ``/yjs``). A 401 to a request with no credential at all (a
dashboard whose session ended) is no guess and does not count. :class:`AuthFailureLimiter`
keeps, per client, the failures of the last ``window`` seconds; the
``failures``-th locks the client out for ``lockout`` seconds (logged once, at
WARNING, on ``server.auth_limit``). While locked out, every request of that
client answers 429 with ``Retry-After`` (a socket handshake is refused: the
ASGI server answers it 403) before any token is looked at, so guesses are not
answered, right or wrong.

Litestar's own ``RateLimitConfig`` counts every request, which would throttle a
depot relaying many handhelds from one address; here only failures count.
Clients are keyed like litestar's ``get_remote_address``: the ASGI client host
(behind a proxy, uvicorn sets it from ``X-Forwarded-For`` of the addresses in
``$FORWARDED_ALLOW_IPS``). Several devices behind one NAT share a key, so a
locked-out address locks them all out until it expires.
"""

from __future__ import annotations

import logging
import math
import time
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from litestar.enums import ScopeType
from litestar.types import (
    ASGIApp,
    HTTPResponseBodyEvent,
    HTTPResponseStartEvent,
    Message,
    Receive,
    Scope,
    Send,
)

log = logging.getLogger(__name__)

REFUSED_CLOSE = 4401
LOGIN_PATH = "/office/login"
TRACK_PATH = "/track/"
MAX_CLIENTS = 10_000  # clients with recent failures kept; the oldest go first


@dataclass(frozen=True, slots=True)
class AuthLimit:
    """``failures`` refused credentials within ``window`` s lock a client out ``lockout`` s."""

    failures: int = 20
    window: float = 60.0
    lockout: float = 300.0

    def __post_init__(self) -> None:
        if self.failures < 1 or self.window <= 0 or self.lockout <= 0:
            raise ValueError(f"auth limit: failures, window and lockout must be positive: {self}")


class AuthFailureLimiter:
    """Failures and lockouts by client, on an injected monotonic clock (seconds)."""

    def __init__(self, limit: AuthLimit, clock: Callable[[], float] = time.monotonic):
        self.limit, self._clock = limit, clock
        self._failures: dict[str, deque[float]] = {}
        self._locked: dict[str, float] = {}  # client -> locked until

    def retry_after(self, client: str) -> int | None:
        """Seconds until ``client`` may try again, or None when it is not locked out."""
        until = self._locked.get(client)
        if until is None:
            return None
        left = until - self._clock()
        if left <= 0:
            del self._locked[client]
            return None
        return max(1, math.ceil(left))

    def failed(self, client: str) -> bool:
        """Count one refused credential of ``client``; True when this one locked it out."""
        now = self._clock()
        recent = self._failures.pop(client, None) or deque()
        while recent and recent[0] <= now - self.limit.window:
            recent.popleft()
        recent.append(now)
        if len(recent) < self.limit.failures:
            self._failures[client] = recent  # re-inserted last: the dict is oldest first
            while len(self._failures) > MAX_CLIENTS:
                del self._failures[next(iter(self._failures))]
            return False
        self._locked[client] = now + self.limit.lockout
        log.warning(
            "auth: %s locked out for %.0f s after %d refused credentials within %.0f s",
            client,
            self.limit.lockout,
            len(recent),
            self.limit.window,
        )
        return True


def client_of(scope: Scope) -> str:
    """The client key of a request (its address, as litestar's ``get_remote_address``)."""
    client = scope.get("client")
    return str(client[0]) if client else "127.0.0.1"


class AuthLimitMiddleware:
    """ASGI middleware: answer 429 to locked-out clients, count refusals of the others."""

    def __init__(self, app: ASGIApp, limiter: AuthFailureLimiter) -> None:
        self.app, self.limiter = app, limiter

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] not in ("http", "websocket"):
            await self.app(scope, receive, send)
            return
        client = client_of(scope)
        wait = self.limiter.retry_after(client)
        if wait is not None:
            await _refuse(scope, send, wait)
            return
        if not presents_credential(scope):
            await self.app(scope, receive, send)
            return

        async def counting(message: Message) -> None:
            if _is_refusal(message):
                self.limiter.failed(client)
            await send(message)

        await self.app(scope, receive, counting)


def presents_credential(scope: Scope) -> bool:
    """True for a request carrying a token (header, query), posting the login form or
    a tracking page's form (the recipient's postcode is its credential)."""
    if any(name == b"authorization" for name, _ in scope.get("headers", ())):
        return True
    if b"token=" in scope.get("query_string", b""):
        return True
    if scope["type"] != ScopeType.HTTP:
        return False
    path = scope["path"]
    return path == LOGIN_PATH or (scope["method"] == "POST" and path.startswith(TRACK_PATH))


def _is_refusal(message: Message) -> bool:
    fields: dict[str, Any] = dict(message)
    if fields["type"] == "http.response.start":
        return bool(fields["status"] == 401)
    return bool(fields["type"] == "websocket.close" and fields.get("code") == REFUSED_CLOSE)


async def _refuse(scope: Scope, send: Send, wait: int) -> None:
    detail = f"too many refused credentials from this address: retry after {wait} s"
    if scope["type"] == ScopeType.WEBSOCKET:
        await send({"type": "websocket.close", "code": 1008, "reason": detail})
        return
    body = f'{{"status_code":429,"detail":"{detail}"}}'.encode()
    headers: list[tuple[bytes, bytes]] = [
        (b"content-type", b"application/json"),
        (b"retry-after", str(wait).encode()),
        (b"content-length", str(len(body)).encode()),
    ]
    start: HTTPResponseStartEvent = {
        "type": "http.response.start",
        "status": 429,
        "headers": headers,
    }
    await send(start)
    end: HTTPResponseBodyEvent = {"type": "http.response.body", "body": body, "more_body": False}
    await send(end)
