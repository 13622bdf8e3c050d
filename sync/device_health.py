"""Device health: reported upstream in every Hello, recorded where it lands.

A node reads its own health from its replica (outbox, quarantine, cursor) in
one small query per request. The node it syncs with (central, or a depot
relay) keeps each device's latest report durably in its ``meta`` table, key
``health.<device id>``; last seen is the devices table's ``last_seen_at``,
written on every authenticated request.

Handhelds behind a depot never talk to central, so the depot's own Hello
carries its handhelds' latest reports (``Hello.relayed``, with when the
depot last heard from each). Central keeps a relayed report only for a
courier device enrolled at central with the depot's depot id, and only when
it is newer than what it already holds for that device.
"""

from __future__ import annotations

from collections.abc import Callable
from importlib import metadata
from typing import Any

import msgspec

from protocol.permissions import Device
from protocol.vocab import Role
from protocol.wire import (
    DeviceHealth,
    Hello,
    PullRequest,
    PullResponse,
    PushRequest,
    RelayedHealth,
)

from ._health import HEALTH_KEY
from ._records import now_ms
from .ports import SyncStore
from .server_session import DeviceLookup, Recorded, SyncServer


def _app_version() -> str:
    try:
        return metadata.version("parcelsync")
    except metadata.PackageNotFoundError:
        return ""


APP_VERSION = _app_version()
__all__ = ["APP_VERSION", "HEALTH_KEY", "HealthRecord", "HealthRecorder", "own_health"]


class HealthRecord(msgspec.Struct, frozen=True, forbid_unknown_fields=False):
    """What a node keeps per device: the latest report, when, and through whom."""

    seen_ms: int
    health: DeviceHealth | None = None
    via: str = ""  # the depot that relayed it; "" when the device spoke to us directly


_record_decoder = msgspec.json.Decoder(HealthRecord)


def decode_record(raw: str | None) -> HealthRecord | None:
    """A stored record, or None for a device with none."""
    return None if raw is None else _record_decoder.decode(raw)


def last_heard(last_seen_ms: int | None, record: HealthRecord | None) -> int:
    """When a device was last heard from: by this node, or by a relay that reported it
    (0: never)."""
    return max(last_seen_ms or 0, record.seen_ms if record else 0)


async def own_health(
    store: SyncStore, upstream: str, at_ms: int | None = None
) -> tuple[DeviceHealth, list[RelayedHealth]]:
    """This node's health as of ``at_ms`` (default now) and its handhelds' latest reports."""
    waiting, oldest, quarantined, synced, handhelds = await store.own_health_counts(upstream)
    now = now_ms() if at_ms is None else at_ms
    health = DeviceHealth(
        waiting=waiting,
        oldest_unsent_age_s=max(0.0, (now - int(oldest)) / 1000) if oldest is not None else None,
        quarantined=quarantined,
        last_sync_ms=int(synced) if synced is not None else None,
        app_version=APP_VERSION,
        schema_version=len(store.migrations),
    )
    return health, _handheld_reports(handhelds)


def _handheld_reports(rows: list[tuple[str, int, str | None]]) -> list[RelayedHealth]:
    """The latest word from each courier device heard from directly, sorted by id."""
    reports = []
    for device_id, last_seen, raw in sorted(rows, key=lambda r: str(r[0])):
        record = decode_record(raw)
        if record is not None and record.via:
            continue  # heard through another relay: never forwarded again
        health = record.health if record else None
        seen = last_heard(last_seen, record)
        reports.append(RelayedHealth(device_id, seen, health))
    return reports


REWRITE_AFTER_MS = 60_000  # an unchanged report is written again at most this often


def _changed(before: tuple[int, DeviceHealth] | None, health: DeviceHealth, now: int) -> bool:
    """Whether a report is worth a write: new numbers, or the stored one is getting old."""
    if before is None or now - before[0] >= REWRITE_AFTER_MS:
        return True
    old = before[1]
    return (old.waiting, old.quarantined, old.app_version, old.schema_version) != (
        health.waiting,
        health.quarantined,
        health.app_version,
        health.schema_version,
    )


class HealthRecorder:
    """Records the health in each authenticated request's Hello into ``store``.

    Last seen is written by authentication on every request; a report whose
    counts did not change is rewritten at most every ``REWRITE_AFTER_MS``,
    so an idle resync usually costs no extra write.
    """

    def __init__(self, store: SyncStore):
        self.store = store
        self._written: dict[str, tuple[int, DeviceHealth]] = {}  # direct reports, this process

    async def record(self, sender: Device, hello: Hello) -> None:
        """Keep ``sender``'s report and, from a depot, its handhelds' newer ones."""
        rows, done = await self._reports(sender, hello)
        if rows:
            await self.store.keep_health(rows)
        done()

    async def recording(self, sender: Device, hello: Hello) -> Recorded:
        """What :meth:`record` writes, as steps for the caller's transaction, and
        what to call once that transaction is durable."""
        rows, done = await self._reports(sender, hello)
        return (self.store.health_steps(rows) if rows else []), done

    async def _reports(
        self, sender: Device, hello: Hello
    ) -> tuple[list[tuple[str, str]], Callable[[], None]]:
        """The ``(device id, encoded record)`` pairs worth a write, and what to call
        once they are durable."""
        now = now_ms()
        writes: dict[str, HealthRecord] = {}
        if hello.health is not None and _changed(self._written.get(sender.id), hello.health, now):
            writes[sender.id] = HealthRecord(now, hello.health)
        if hello.relayed and sender.role is Role.DEPOT:
            writes.update(await self._accepted_relays(sender, hello.relayed, now))
        if not writes:
            return [], lambda: None
        rows = [(d, msgspec.json.encode(r).decode()) for d, r in writes.items()]

        def done() -> None:
            for device_id, record in writes.items():
                if record.via or record.health is None:
                    self._written.pop(device_id, None)
                else:
                    self._written[device_id] = (now, record.health)

        return rows, done

    async def _accepted_relays(
        self, depot: Device, relayed: list[RelayedHealth], now: int
    ) -> dict[str, HealthRecord]:
        """Reports of the depot's own couriers, newer than anything known of them here.

        A report's time is capped at ``now``: a depot clock running ahead (or a
        forged time) must not pin a courier as seen in the future.
        """
        relayed = [msgspec.structs.replace(r, seen_ms=min(r.seen_ms, now)) for r in relayed]
        known = {}
        for device_id, role, depot_id, last_seen, raw in await self.store.health_of(
            [r.device_id for r in relayed]
        ):
            if role != Role.COURIER.value or depot_id != depot.depot_id:
                continue
            record = decode_record(raw)
            known[device_id] = last_heard(last_seen, record)
        return {
            r.device_id: HealthRecord(r.seen_ms, r.health, depot.id)
            for r in relayed
            if r.device_id in known and r.seen_ms > known[r.device_id]
        }


class HealthRecordingServer(SyncServer):
    """A :class:`SyncServer` that also records the health each answered Hello carries."""

    def __init__(self, store: SyncStore, devices: DeviceLookup, **options: Any):
        super().__init__(store, devices, **options)
        self.health = HealthRecorder(store)

    async def recorded(self, sender: Device, request: PushRequest) -> Recorded:
        """The Hello's health, committed with the push's writes."""
        return await self.health.recording(sender, request.hello)

    async def pull(self, device: Device, request: PullRequest) -> PullResponse:
        """Pull as :class:`SyncServer`, then record the Hello's health."""
        response = await super().pull(device, request)
        await self.health.record(device, request.hello)
        return response
