"""The handheld pages' cookies: an encrypted session naming the signed-in courier, and CSRF.

Litestar's client-side session (AES-GCM) and CSRF middleware (a signed token
in a cookie that every POST must repeat in ``_csrf_token``, else 403 before
any handler runs) key off a 32-byte secret kept in the replica's meta table
(created on the first start). As on the office pages, the token is bound to
the session: signing in keeps a random nonce in the (encrypted) session, and
the tokens of that session are signed with a key derived from the secret and
the nonce, in the cookie ``hh_csrf_<nonce>``. A token fetched outside the
session (any local process can fetch the sign-in page, and cookies ignore
ports) cannot carry a form inside it. The session is valid only
for the courier the handheld is enrolled for now: a handheld re-enrolled for
another courier shows nothing of the previous one. On a depot node the
session names a staff member, who must still hold a PIN there.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from typing import Any

from litestar import Request
from litestar.config.csrf import CSRFConfig
from litestar.exceptions import NotAuthorizedException
from litestar.middleware.csrf import CSRFMiddleware
from litestar.middleware.session.client_side import CookieBackendConfig
from litestar.response import Redirect
from litestar.types import ASGIApp, Receive, Scope, Send

from ..context import EdgeContext
from ..store import EdgeStore
from .pin import has_pin

SECRET_KEY = "edge.pages.secret"
SESSION_HOURS = 14
SESSION_COURIER, SESSION_DEVICE, SESSION_STAFF = "courier_id", "device_id", "staff"
SESSION_NONCE = "csrf_nonce"


async def pages_secret(store: EdgeStore) -> bytes:
    """The cookie secret of this replica, created on first use."""
    stored = await store.meta(SECRET_KEY)
    if stored is None:
        stored = secrets.token_hex(32)
        await store.set_meta(SECRET_KEY, stored)
    return bytes.fromhex(stored)


def session_config(secret: bytes) -> CookieBackendConfig:
    """The encrypted ``hh_session`` cookie."""
    return CookieBackendConfig(
        secret=secret,
        key="hh_session",
        max_age=SESSION_HOURS * 3600,
        httponly=True,
        samesite="strict",
    )


def csrf_config(secret: bytes, nonce: str = "") -> CSRFConfig:
    """The CSRF cookie of the session with ``nonce`` (``""``: none), its tokens signed
    with a key derived from ``secret`` and the nonce."""
    key = hmac.new(secret, f"edge pages csrf {nonce}".encode(), hashlib.sha256).hexdigest()
    return CSRFConfig(
        secret=key,
        cookie_name=csrf_cookie_name(nonce),
        cookie_httponly=True,
        cookie_samesite="strict",
    )


def csrf_cookie_name(nonce: str) -> str:
    """The CSRF cookie of the session with ``nonce`` (``""``: no session)."""
    return f"hh_csrf_{nonce}" if nonce else "hh_csrf"


class SessionCSRF:
    """ASGI middleware: litestar's CSRF check, keyed by the request's session nonce."""

    def __init__(self, app: ASGIApp, secret: bytes) -> None:
        self.app, self.secret = app, secret

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        session = scope.get("session")
        nonce = str(session.get(SESSION_NONCE, "")) if isinstance(session, dict) else ""
        await CSRFMiddleware(app=self.app, config=csrf_config(self.secret, nonce))(
            scope, receive, send
        )


def sign_in(request: Request[Any, Any, Any], ctx: EdgeContext) -> None:
    """Start the session of the courier this handheld is enrolled for."""
    request.set_session(
        {
            SESSION_COURIER: ctx.identity.courier_id,
            SESSION_DEVICE: ctx.identity.device_id,
            SESSION_NONCE: secrets.token_hex(8),
        }
    )


def signed_in(request: Request[Any, Any, Any], ctx: EdgeContext) -> str:
    """The courier of this session, else 401 (redirected to the sign-in page)."""
    session = request.session or {}
    who = (session.get(SESSION_COURIER), session.get(SESSION_DEVICE))
    if not ctx.identity.courier_id or who != (ctx.identity.courier_id, ctx.identity.device_id):
        raise NotAuthorizedException("sign in with your PIN")
    return ctx.identity.courier_id


def staff_sign_in(request: Request[Any, Any, Any], ctx: EdgeContext, staff: str) -> None:
    """Start the session of a depot staff member on this depot node."""
    request.set_session(
        {
            SESSION_STAFF: staff,
            SESSION_DEVICE: ctx.identity.device_id,
            SESSION_NONCE: secrets.token_hex(8),
        }
    )


async def staff_signed_in(request: Request[Any, Any, Any], ctx: EdgeContext) -> str:
    """The staff member of this session, still holding a PIN here, else 401."""
    session = request.session or {}
    staff = str(session.get(SESSION_STAFF) or "")
    if session.get(SESSION_DEVICE) != ctx.identity.device_id or not staff:
        raise NotAuthorizedException("sign in with your staff id and PIN")
    if not await has_pin(ctx.store, staff_key(staff)):
        raise NotAuthorizedException("this staff member may no longer sign in here")
    return staff


def staff_key(staff: str) -> str:
    """Where a staff member's PIN is kept (apart from any courier id)."""
    return f"staff:{staff}"


def sign_out(request: Request[Any, Any, Any]) -> Redirect:
    """End the session and drop its CSRF cookie; back to the sign-in page."""
    session = request.session or {}
    nonce = str(session.get(SESSION_NONCE, "")) if isinstance(session, dict) else ""
    request.clear_session()
    answer = Redirect("/login", status_code=303)
    if nonce:
        answer.delete_cookie(csrf_cookie_name(nonce))
    return answer
