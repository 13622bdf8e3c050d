"""The central server's Litestar app: ``create_app(db_path)``."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path

from litestar import Litestar
from litestar.datastructures import State
from litestar.di import Provide
from litestar.middleware import DefineMiddleware
from litestar.openapi import OpenAPIConfig

from protocol.contents import DEFAULT_MAX_SKEW_MS
from protocol.token_strength import token_weakness
from sync.http_transport import MAX_BODY
from sync.limits import Limits

from .auth import provide_central, provide_device
from .auth_limit import AuthFailureLimiter, AuthLimit, AuthLimitMiddleware
from .core import Central
from .devices import DeviceController
from .failures import failure_handlers
from .followups.controllers import FollowUpController, OfficeFollowUpController
from .followups.service import FollowUpService
from .merchant_api.controllers import ReturnController, ShipmentController
from .merchant_api.returns import ReturnService
from .merchant_api.services import ShipmentService
from .merchant_api.stock import StockTotalsController
from .notifications.config import NO_NOTIFICATIONS, NotifyConfig
from .office.actions import OfficeActions
from .office.controllers import OfficeController, StockController
from .office.reorder import ReorderService
from .office.service import OfficeService
from .office.web import office_templates, office_web_handlers
from .proofs import proof_handlers
from .sync_api import sync_handlers
from .webhooks.controllers import WebhookController
from .yjs import yjs_route
from .zones import UTC_EVERYWHERE, DepotZones


def _shipments(central: Central) -> ShipmentService:
    return central.shipments


def _returns(central: Central) -> ReturnService:
    return central.returns


def _office(central: Central) -> OfficeService:
    return central.office


def _office_actions(central: Central) -> OfficeActions:
    return central.office_actions


def _followups(central: Central) -> FollowUpService:
    return central.followups


def _reorder(central: Central) -> ReorderService:
    return central.reorder


def create_app(
    db_path: str | Path,
    *,
    office_token: str | None = None,
    webhook_backoff: float = 2.0,
    max_body: int = MAX_BODY,
    secure_cookies: bool = False,
    auth_limit: AuthLimit | None = None,
    secret_file: str | Path | None = None,
    max_skew_ms: int = DEFAULT_MAX_SKEW_MS,
    notify: NotifyConfig = NO_NOTIFICATIONS,
    zones: DepotZones = UTC_EVERYWHERE,
    limits: Limits | None = None,
    webhook_allow_private: bool = False,
    background: bool = True,
) -> Litestar:
    """The central app over the SQLite file ``db_path`` (created on first start).

    ``office_token`` enrols (or re-keys) the bootstrap office device (a weak one
    is a ``ValueError``, see :func:`protocol.token_strength.token_weakness`); without
    it a fresh file gets a random token, available as
    ``app.state.central.bootstrap_token`` after startup. ``secure_cookies``
    marks the office cookies Secure on every request, not only https ones.
    ``auth_limit`` bounds refused credentials per client (default
    :class:`AuthLimit`: 20 within 60 s lock the address out for 300 s).
    ``secret_file`` holds the office session secret (default ``<db_path>.secret``,
    0600; never in the database).
    ``max_skew_ms``: how far ahead of central's clock an event's HLC may be.
    ``notify`` names the recipient notification channels (none by default),
    ``zones`` the depots' time zones (the tracking page's times).
    ``limits`` bounds pushes, events, documents and pull pages (see
    :class:`sync.limits.Limits`). ``webhook_allow_private`` lets webhooks point
    at loopback and private addresses (tests, closed networks). ``background``:
    this process runs the webhook, PIN and notification workers (one of several does).
    """
    if office_token and (weakness := token_weakness(office_token)):
        raise ValueError(f"office token: {weakness}")
    central = Central(
        db_path,
        webhook_backoff=webhook_backoff,
        secret_file=secret_file,
        max_skew_ms=max_skew_ms,
        notify=notify,
        zones=zones,
        limits=limits,
        webhook_allow_private=webhook_allow_private,
        background=background,
    )
    limit = auth_limit or AuthLimit()

    @asynccontextmanager
    async def lifespan(app: Litestar) -> AsyncIterator[None]:
        await central.start(office_token)
        try:
            yield
        finally:
            await central.stop()

    return Litestar(
        route_handlers=[
            *sync_handlers(central, max_body=max_body),
            *proof_handlers(central),
            yjs_route(central),
            DeviceController,
            ShipmentController,
            FollowUpController,
            OfficeFollowUpController,
            ReturnController,
            WebhookController,
            OfficeController,
            StockController,
            StockTotalsController,
            *office_web_handlers(secure_cookies),
        ],
        dependencies={
            "central": Provide(provide_central, sync_to_thread=False),
            "device": Provide(provide_device),
            "shipment_service": Provide(_shipments, sync_to_thread=False),
            "return_service": Provide(_returns, sync_to_thread=False),
            "office_service": Provide(_office, sync_to_thread=False),
            "office_actions": Provide(_office_actions, sync_to_thread=False),
            "reorder_service": Provide(_reorder, sync_to_thread=False),
            "followups": Provide(_followups, sync_to_thread=False),
        },
        state=State({"central": central, "yjs": central.yjs}),
        lifespan=[lifespan],
        exception_handlers=failure_handlers(),
        openapi_config=OpenAPIConfig(title="parcelsync central", version="1"),
        request_max_body_size=max_body,
        middleware=[DefineMiddleware(AuthLimitMiddleware, limiter=AuthFailureLimiter(limit))],
        template_config=office_templates(),
    )
