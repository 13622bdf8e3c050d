"""The central node's parts, wired once: store, sync session, live feed, services.

:class:`Central` is a long-lived service with explicit ``start``/``stop`` (an
async context manager); the Litestar app holds one in ``app.state.central``
and hands its services to handlers through dependency injection.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable
from pathlib import Path
from types import TracebackType
from typing import Self

import httpx

from protocol.contents import DEFAULT_MAX_SKEW_MS
from protocol.hlc import HybridClock
from protocol.permissions import Device
from protocol.vocab import Role
from sync._pg_dialect import is_postgres
from sync.device_health import HealthRecordingServer
from sync.limits import Limits
from sync.live import LocalChangeFeed
from sync.tasks import cancel_and_wait

from .followups.service import FollowUpService
from .merchant_api.returns import ReturnService
from .merchant_api.services import ShipmentService
from .notifications.config import NO_NOTIFICATIONS, NotifyConfig
from .notifications.worker import NotificationWorker
from .office.actions import OfficeActions
from .office.reorder import ReorderService
from .office.service import OfficeService
from .pins import PinChecker
from .retry import RetryPolicy
from .store import CentralStore
from .webhooks.worker import WebhookWorker
from .yjs.hub import YjsHub
from .yjs.session import UNAUTHORIZED
from .zones import UTC_EVERYWHERE, DepotZones

CENTRAL_DEVICE = "central"
OFFICE_BOOTSTRAP_ID = "office-bootstrap"
DEFAULT_PG_SECRET = "parcelsync-central.secret"


def wall_ms() -> int:
    """Central's wall clock, in ms."""
    return time.time_ns() // 1_000_000


async def bootstrap_office(store: CentralStore, office_token: str | None) -> str | None:
    """Enrol (or re-key to ``office_token``) the bootstrap office device; returns the
    random token made for a fresh store without one (shown once), else None."""
    known = await store.device(OFFICE_BOOTSTRAP_ID)
    device = Device(OFFICE_BOOTSTRAP_ID, Role.OFFICE)
    if office_token and (known is None or await store.authenticate(office_token) is None):
        await store.enroll(device, "bootstrap", office_token)
    elif known is None:
        return await store.enroll(device, "bootstrap")
    return None


class Central:
    """Everything one central process runs."""

    def __init__(
        self,
        db_path: str | Path,
        *,
        webhook_backoff: float = 2.0,
        secret_file: str | Path | None = None,
        max_skew_ms: int = DEFAULT_MAX_SKEW_MS,
        notify: NotifyConfig = NO_NOTIFICATIONS,
        zones: DepotZones = UTC_EVERYWHERE,
        limits: Limits | None = None,
        webhook_allow_private: bool = False,
        wall: Callable[[], int] = wall_ms,
        background: bool = True,
    ):
        """``wall``: central's wall clock in ms (the default reads the system's); it
        stamps central's own events and bounds the clock skew it accepts."""
        self.db_path = str(db_path)
        # the office session secret, beside the file (for PostgreSQL: where central runs)
        default_secret = DEFAULT_PG_SECRET if is_postgres(db_path) else f"{db_path}.secret"
        self.secret_file = Path(secret_file or default_secret)
        # webhooks, PIN checks and notifications: in one process of several (see run.serve)
        self.background = background
        self._listener: asyncio.Task[None] | None = None
        self._telling: set[asyncio.Future[None]] = set()
        self.webhook_backoff = webhook_backoff
        self.max_skew_ms = max_skew_ms
        self.zones = zones
        self.notify = notify
        self.notifications: NotificationWorker | None = None
        self._notify_client: httpx.AsyncClient | None = None
        self.webhook_allow_private = webhook_allow_private
        self.limits = limits or Limits()
        self.wall = wall
        self._store: CentralStore | None = None
        self.bootstrap_token: str | None = None
        self.yjs = YjsHub()

    @property
    def store(self) -> CentralStore:
        if self._store is None:
            raise RuntimeError("Central is not started: use 'async with Central(...)'")
        return self._store

    async def start(self, office_token: str | None = None) -> None:
        """Open the store, enrol the bootstrap office device, start the webhook worker
        and the PIN checker."""
        if self._store is not None:
            raise RuntimeError("Central.start() called twice")
        self._store = await CentralStore.open(self.db_path)
        self.feed = LocalChangeFeed(self.store)
        self.webhooks = WebhookWorker(
            self.store, backoff=self.webhook_backoff, allow_private=self.webhook_allow_private
        )
        self.sync = HealthRecordingServer(
            self.store,
            self.store.device,
            on_change=self.changed,
            limits=self.limits,
            wall=self.wall,
            max_skew_ms=self.max_skew_ms,
            knowledge=self.store,
        )
        clock = HybridClock(CENTRAL_DEVICE, self.wall)
        self.reorder = ReorderService(self.store, self.wall)
        self.shipments = ShipmentService(self.store, clock, self.changed, CENTRAL_DEVICE)
        self.returns = ReturnService(self.store, clock, self.changed, CENTRAL_DEVICE)
        self.office = OfficeService(self.store, clock_ms=self.wall, zone=self.zones.default)
        self.followups = FollowUpService(self.store, clock, self.changed, CENTRAL_DEVICE, self.wall)
        self.office_actions = OfficeActions(
            self.store, self.office, clock, self.changed, CENTRAL_DEVICE
        )
        self.pins = PinChecker(self.store, clock, self.changed, CENTRAL_DEVICE)
        await self._bootstrap(office_token)
        self.yjs.follow_from(await self.store.head())
        if self.store.on_postgres:  # other processes' writes reach this one's sockets
            from sync._postgres import listen_heads

            self._listener = asyncio.create_task(
                listen_heads(self.db_path, self.changed, self._disconnect_here),
                name="log-listener",
            )
        if self.background:
            await self.webhooks.start()
            await self.pins.start()
            await self._start_notifications()

    async def _start_notifications(self) -> None:
        self._notify_client = httpx.AsyncClient(timeout=10)
        channels = self.notify.channels(self._notify_client)
        if channels:
            policy = RetryPolicy(backoff=self.webhook_backoff)
            self.notifications = NotificationWorker(
                self.store, channels, self.notify.public_url, policy
            )
            await self.notifications.start()

    async def _bootstrap(self, office_token: str | None) -> None:
        self.bootstrap_token = await bootstrap_office(self.store, office_token)

    def disconnect(self, device_id: str) -> int:
        """Close every open socket of ``device_id`` (``/sync/live`` and ``/yjs``) with 4401:
        after a revocation or a new token, nothing it opened before keeps listening or
        writing. Returns how many of this process's were told to close; on PostgreSQL
        the other processes are told too, and close theirs."""
        if self.store.on_postgres:
            told = asyncio.ensure_future(self.store.tell_other_processes_revoked(device_id))
            self._telling.add(told)
            told.add_done_callback(self._telling.discard)
        return self._disconnect_here(device_id)

    def _disconnect_here(self, device_id: str) -> int:
        reason = "revoked: the device's token is no longer valid"
        sockets = self.yjs.disconnect(device_id, UNAUTHORIZED, reason)
        return self.feed.disconnect(device_id) + sockets

    async def changed(self, head: int) -> None:
        """After any write: poke live sockets, relay to open Yjs documents, wake webhooks."""
        await self.feed.publish(head)
        await self.yjs.follow(self.store, head)
        self.webhooks.wake()
        self.pins.wake()
        if self.notifications is not None:
            self.notifications.wake()

    async def stop(self) -> None:
        """Stop the worker and close the store (every committed write is on disk)."""
        if self._store is None:
            return
        await cancel_and_wait(self._listener)
        self._listener = None
        await self.webhooks.stop()
        await self.pins.stop()
        if self.notifications is not None:
            await self.notifications.stop()
            self.notifications = None
        if self._notify_client is not None:
            await self._notify_client.aclose()
            self._notify_client = None
        await self._store.close()
        self._store = None

    async def __aenter__(self) -> Self:
        await self.start()
        return self

    async def __aexit__(
        self, t: type[BaseException] | None, e: BaseException | None, tb: TracebackType | None
    ) -> None:
        await self.stop()
