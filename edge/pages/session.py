"""The handheld pages' cookies: an encrypted session naming the signed-in courier, and CSRF.

Litestar's client-side session (AES-GCM) and CSRF middleware (a signed token
in the ``hh_csrf`` cookie that every POST must repeat in ``_csrf_token``,
else 403 before any handler runs) key off a 32-byte secret kept in the
replica's meta table (created on the first start). The session is valid only
for the courier the handheld is enrolled for now: a handheld re-enrolled for
another courier shows nothing of the previous one. On a depot node the
session names a staff member, who must still hold a PIN there.
"""

from __future__ import annotations

import secrets
from typing import Any

from litestar import Request
from litestar.config.csrf import CSRFConfig
from litestar.exceptions import NotAuthorizedException
from litestar.middleware.session.client_side import CookieBackendConfig

from ..context import EdgeContext
from ..store import EdgeStore
from .pin import has_pin

SECRET_KEY = "edge.pages.secret"
SESSION_HOURS = 14
SESSION_COURIER, SESSION_DEVICE, SESSION_STAFF = "courier_id", "device_id", "staff"


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


def csrf_config(secret: bytes) -> CSRFConfig:
    """Every POST repeats the ``hh_csrf`` cookie's token in ``_csrf_token``."""
    return CSRFConfig(
        secret=secret.hex(),
        cookie_name="hh_csrf",
        cookie_httponly=True,
        cookie_samesite="strict",
    )


def sign_in(request: Request[Any, Any, Any], ctx: EdgeContext) -> None:
    """Start the session of the courier this handheld is enrolled for."""
    request.set_session(
        {SESSION_COURIER: ctx.identity.courier_id, SESSION_DEVICE: ctx.identity.device_id}
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
    request.set_session({SESSION_STAFF: staff, SESSION_DEVICE: ctx.identity.device_id})


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
