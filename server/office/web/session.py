"""The office cookies: an encrypted login session and a CSRF token on every form.

Litestar's client-side session backend (AES-GCM: tampered or foreign cookies
decode to an empty session) and its CSRF middleware (a signed token in the
``office_csrf`` cookie that every POST must repeat in the ``_csrf_token``
form field, else 403 before the handler runs) both key off a 32-byte secret
kept beside the server's SQLite file, never in it: ``central.secret_file``
(``<db>.secret`` by default, or ``$PARCELSYNC_SECRET_FILE``), mode 0600. It
is generated on the first office request after the first start and read back
after every restart, so sessions survive restarts; several workers on one
file share it. :class:`OfficeCookies` builds the two middlewares lazily, on
the first request.

Sessions are also held by the server (table ``office_sessions``, keyed by the
session's nonce): logout deletes the row, so a copied cookie stops working.

The CSRF token is bound to the session. A login keeps a random nonce in the
(encrypted) session; the tokens of that session are signed with a key derived
from the secret and the nonce, in a cookie named after it
(``office_csrf_<nonce>``). A token issued outside the session (to the login
form, to another browser) does not verify inside it, so a cookie planted in
the browser (from a sibling site, say) with a token the attacker obtained
cannot carry a forged form. Without a session (the login form) the cookie is
``office_csrf`` and the token is bound to nothing.

The cookies are HttpOnly, SameSite=lax, scoped to ``/office``, and Secure
when the request came over https (the ASGI scheme: uvicorn takes it from
``X-Forwarded-Proto`` of a trusted proxy) or when the server was started
with ``secure_cookies``.
"""

from __future__ import annotations

import asyncio
import hashlib
import hmac
import secrets
from typing import Any

from litestar import Request
from litestar.config.csrf import CSRFConfig
from litestar.exceptions import NotAuthorizedException
from litestar.middleware.csrf import CSRFMiddleware
from litestar.middleware.session.base import SessionMiddleware
from litestar.middleware.session.client_side import ClientSideSessionBackend, CookieBackendConfig
from litestar.types import ASGIApp, Receive, Scope, Send

from protocol.permissions import Device
from protocol.vocab import Role
from sync._records import now_ms
from sync.secret_file import read_or_create_secret

from ...core import Central

SECRET_KEY = "office.session_secret"
SESSION_HOURS = 12
SESSION_DEVICE = "device_id"
SESSION_CSRF_NONCE = "csrf_nonce"
COOKIE_PATH = "/office"


async def session_secret(central: Central) -> bytes:
    """The signing secret from ``central.secret_file``, created on first use.

    A secret an older version kept in the database (``meta`` key
    ``office.session_secret``) is moved to the file, so sessions survive the
    upgrade, and deleted from the database."""
    legacy = await central.store.meta(SECRET_KEY)
    stored = await asyncio.to_thread(
        read_or_create_secret, central.secret_file, lambda: legacy or secrets.token_hex(32)
    )
    if legacy is not None:
        await central.store.forget_meta(SECRET_KEY)
    return bytes.fromhex(stored)


class SessionKeyring:
    """The stored secret of one app, read (or created) once."""

    def __init__(self) -> None:
        self._secret: bytes | None = None
        self._lock = asyncio.Lock()

    async def secret(self, central: Central) -> bytes:
        """The secret (reads or creates it on the first call)."""
        async with self._lock:
            if self._secret is None:
                self._secret = await session_secret(central)
            return self._secret


def session_backend(secret: bytes, secure: bool) -> ClientSideSessionBackend:
    """The encrypted session cookie ``office_session``."""
    config = CookieBackendConfig(
        secret=secret,
        key="office_session",
        path=COOKIE_PATH,
        max_age=SESSION_HOURS * 3600,
        httponly=True,
        secure=secure,
        samesite="lax",
    )
    return ClientSideSessionBackend(config)


def csrf_config(secret: bytes, secure: bool, nonce: str = "") -> CSRFConfig:
    """The CSRF cookie of a session with ``nonce`` (``""``: no session), its tokens
    signed with a key derived from ``secret`` and the nonce."""
    key = hmac.new(secret, f"office csrf {nonce}".encode(), hashlib.sha256).hexdigest()
    return CSRFConfig(
        secret=key,
        cookie_name=csrf_cookie_name(nonce),
        cookie_path=COOKIE_PATH,
        cookie_httponly=True,
        cookie_secure=secure,
        cookie_samesite="lax",
    )


def session_nonce(session: object) -> str:
    """The CSRF nonce of a session (``""``: none, or no session)."""
    return str(session.get(SESSION_CSRF_NONCE, "")) if isinstance(session, dict) else ""


def csrf_cookie_name(nonce: str) -> str:
    """The CSRF cookie of the session with ``nonce`` (``""``: no session)."""
    return f"office_csrf_{nonce}" if nonce else "office_csrf"


class SessionCSRF:
    """ASGI middleware: litestar's CSRF check, configured for the request's session."""

    def __init__(self, app: ASGIApp, secret: bytes, secure: bool) -> None:
        self.app, self.secret, self.secure = app, secret, secure

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        config = csrf_config(self.secret, self.secure, session_nonce(scope.get("session")))
        await CSRFMiddleware(app=self.app, config=config)(scope, receive, send)


class OfficeCookies:
    """ASGI middleware: litestar's session and CSRF middlewares once the secret is known.

    One pair per cookie flavour (Secure or not), chosen per request.
    """

    def __init__(self, app: ASGIApp, keyring: SessionKeyring, secure: bool = False) -> None:
        self.app, self.keyring, self.secure = app, keyring, secure
        self._stacks: dict[bool, ASGIApp] = {}

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        secure = self.secure or scope.get("scheme") == "https"
        stack = self._stacks.get(secure)
        if stack is None:
            secret = await self.keyring.secret(scope["litestar_app"].state.central)
            checked = SessionCSRF(self.app, secret, secure)
            stack = SessionMiddleware(app=checked, backend=session_backend(secret, secure))
            self._stacks[secure] = stack
        await stack(scope, receive, send)


def _expired() -> int:
    """Sessions started before this (ms) have ended."""
    return now_ms() - SESSION_HOURS * 3600 * 1000


async def office_device(request: Request[Any, Any, Any], central: Central) -> Device:
    """The head-office device logged in on this session, else 401.

    The session's nonce must name a session the server still holds (logout
    ends it, so a copied cookie stops working), and the device is checked
    against the registry on every request, so revoking it ends its sessions.
    """
    device_id = request.session.get(SESSION_DEVICE) if request.session else None
    nonce = session_nonce(request.session)
    held = await central.store.office_session_device(nonce, _expired()) if nonce else None
    device = await central.store.device(held) if held and held == device_id else None
    if device is None or device.role != Role.OFFICE:
        raise NotAuthorizedException("office login required: sign in at /office/login")
    return device


async def log_in(request: Request[Any, Any, Any], central: Central, token: str) -> Device | None:
    """Start a session for the office device behind ``token``; None when refused."""
    device = await central.store.authenticate(token.strip()) if token.strip() else None
    if device is None or device.role != Role.OFFICE:
        return None
    nonce = secrets.token_hex(16)
    await central.store.start_office_session(nonce, device.id, _expired())
    request.set_session({SESSION_DEVICE: device.id, SESSION_CSRF_NONCE: nonce})
    return device


async def log_out(request: Request[Any, Any, Any], central: Central) -> str:
    """End the request's session on the server and in the browser; returns its nonce."""
    nonce = session_nonce(request.session)
    if nonce:
        await central.store.end_office_session(nonce)
    request.clear_session()
    return nonce
