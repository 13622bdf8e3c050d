"""The office login session: an encrypted, signed, HttpOnly cookie.

Litestar's client-side session backend (AES-GCM: tampered or foreign cookies
decode to an empty session) keyed by a 32-byte secret kept in the server's
SQLite file, ``meta`` key ``office.session_secret``. It is generated on the
first office request after the first start and read back after every restart,
so sessions survive restarts; several workers on one file share it.
Because the secret lives in the database, :class:`StoredSecretSession` builds
litestar's ``SessionMiddleware`` lazily, on the first request.
"""

from __future__ import annotations

import asyncio
import secrets
from typing import Any

from litestar import Request
from litestar.exceptions import NotAuthorizedException
from litestar.middleware.session.base import SessionMiddleware
from litestar.middleware.session.client_side import ClientSideSessionBackend, CookieBackendConfig
from litestar.types import ASGIApp, Receive, Scope, Send

from protocol.permissions import Device
from protocol.vocab import Role

from ...core import Central

SECRET_KEY = "office.session_secret"
SESSION_HOURS = 12
SESSION_DEVICE = "device_id"


async def session_secret(central: Central) -> bytes:
    """The signing secret from the store's meta table, created on first use."""
    stored = await central.store.meta(SECRET_KEY)
    if stored is None:
        stored = secrets.token_hex(32)
        await central.store.set_meta(SECRET_KEY, stored)
    return bytes.fromhex(stored)


class SessionKeyring:
    """One cookie backend per app, built once from the stored secret."""

    def __init__(self) -> None:
        self._backend: ClientSideSessionBackend | None = None
        self._lock = asyncio.Lock()

    async def backend(self, central: Central) -> ClientSideSessionBackend:
        """The cookie backend (reads or creates the secret on the first call)."""
        async with self._lock:
            if self._backend is None:
                config = CookieBackendConfig(
                    secret=await session_secret(central),
                    key="office_session",
                    path="/office",
                    max_age=SESSION_HOURS * 3600,
                    httponly=True,
                    samesite="lax",
                )
                self._backend = ClientSideSessionBackend(config)
            return self._backend


class StoredSecretSession:
    """ASGI middleware: litestar's ``SessionMiddleware`` once the secret is known."""

    def __init__(self, app: ASGIApp, keyring: SessionKeyring) -> None:
        self.app = app
        self.keyring = keyring
        self._inner: SessionMiddleware[ClientSideSessionBackend] | None = None

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if self._inner is None:
            central: Central = scope["litestar_app"].state.central
            backend = await self.keyring.backend(central)
            self._inner = SessionMiddleware(app=self.app, backend=backend)
        await self._inner(scope, receive, send)


async def office_device(request: Request[Any, Any, Any], central: Central) -> Device:
    """The head-office device logged in on this session, else 401.

    Checked against the registry on every request, so revoking the device
    ends its sessions at once.
    """
    device_id = request.session.get(SESSION_DEVICE) if request.session else None
    device = await central.store.device(str(device_id)) if device_id else None
    if device is None or device.role != Role.OFFICE:
        raise NotAuthorizedException("office login required: sign in at /office/login")
    return device


async def log_in(request: Request[Any, Any, Any], central: Central, token: str) -> Device | None:
    """Start a session for the office device behind ``token``; None when refused."""
    device = await central.store.authenticate(token.strip()) if token.strip() else None
    if device is None or device.role != Role.OFFICE:
        return None
    request.set_session({SESSION_DEVICE: device.id})
    return device
