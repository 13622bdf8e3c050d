"""Small builders shared by the core (sync/) tests."""

from __future__ import annotations

import random
from pathlib import Path
from typing import TypeVar

from protocol.hlc import HybridClock
from protocol.permissions import Device
from protocol.vocab import Role
from simulation import actions
from simulation.digest import projection_rows
from sync import ReplicaStore, commit_commands

S = TypeVar("S", bound=ReplicaStore)
DAY = "2026-11-23"
OFFICE = Device("office", Role.OFFICE)
DEPOT = Device("depot", Role.DEPOT, depot_id="D1")
COURIER = Device("hh1", Role.COURIER, depot_id="D1", courier_id="C1")
DEVICES = {d.id: d for d in (OFFICE, DEPOT, COURIER)}


async def lookup(device_id: str) -> Device | None:
    """Device directory for in-process servers."""
    return DEVICES.get(device_id)


def actor(
    device: Device, seed: int = 1, *, offset_ms: int = 0, rng: random.Random | None = None
) -> actions.Actor:
    """An actor with a deterministic clock (``offset_ms`` ahead of the others) and id
    generator (``rng``, else one seeded from the device and ``seed``)."""
    ticks = iter(range(10**9))
    clock = HybridClock(device.id, lambda: 1_790_000_000_000 + offset_ms + next(ticks))
    ids = rng or random.Random(f"{device.id}:{seed}")
    return actions.Actor(device.id, device.courier_id or device.id, clock, ids)


async def add_resets(store: ReplicaStore, *resets: tuple[str, str]) -> None:
    """Resets (no notice) of ``(device_id, doc_id)`` shipments, as a relay keeps them."""
    async with store.transaction() as db:
        await db.executemany(
            "INSERT INTO device_resets (device_id, doc_id, doc_type, code, message, created_at) "
            "VALUES (?, ?, 'shipment', '', '', 0)",
            resets,
        )


async def seeded_central(
    path: Path,
    shipments: int = 5,
    store_class: type[S] = ReplicaStore,  # type: ignore[assignment]
) -> tuple[S, list[str]]:
    """A central store (a ``store_class``) holding ``shipments`` COD shipments on
    courier C1's route."""
    store = await store_class.open(path)
    office = actor(OFFICE)
    seed = [actions.create_shipment(office, n, "D1", "C1", 1250, DAY) for n in range(shipments)]
    await commit_commands(store, seed, device_id=OFFICE.id, queue=False)
    return store, [doc_id for doc_id, _ in seed]


async def projections_as_rebuilt(store: ReplicaStore) -> bool:
    """True when rebuilding every projection from the documents leaves the rows
    exactly as the writes left them."""
    written = await projection_rows(store)
    await store.rebuild_projections()
    return await projection_rows(store) == written
