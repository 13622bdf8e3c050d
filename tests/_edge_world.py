"""A small world for edge tests: a central replica, seeded documents, enrolled nodes.

Ids are derived from names (never random) so failures replay.
"""

from __future__ import annotations

import asyncio
import itertools
import random
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

import msgspec

from edge.context import EdgeContext, Identity, enroll, read_identity
from edge.node import EdgeNode
from edge.store import EdgeStore
from edge.sync_loop import Backoff
from protocol.commands import DocCommand
from protocol.events import ReturnRequested, ShipmentCreated
from protocol.ids import make_tracking_number, named_id
from protocol.info import Item, Parcel, ReturnInfo, ShipmentInfo
from protocol.permissions import Device
from protocol.pin import MIN_COST_N, pin_digest
from protocol.vocab import Role
from simulation import actions
from simulation.digest import projection_rows, state_vectors
from simulation.network import Network, Node
from sync import InMemoryChannel, ReplicaStore, SyncClient, SyncServer, commit_commands
from sync.documents import load, read_content
from sync.projection import PROJECTION_TABLES
from tests.core_helpers import OFFICE as HEAD_OFFICE
from tests.core_helpers import actor

DEPOT = "D1"
COURIER = "C1"
DAY = "2024-05-02"
T0 = 1_714_636_800_000  # 2024-05-02T08:00:00Z
OFFICE = Device("office-1", Role.OFFICE)
DEPOT_DEVICE = Device("depot-dev", Role.DEPOT, depot_id=DEPOT)


def handheld(courier: str = COURIER, n: int = 1) -> Device:
    return Device(f"hh-{courier}-{n}", Role.COURIER, depot_id=DEPOT, courier_id=courier)


class Wall:
    """A deterministic wall clock: each reading is 1 s after the previous one."""

    def __init__(self, start: int = T0):
        self._ticks = itertools.count(start, 1000)

    def __call__(self) -> int:
        return next(self._ticks)


def otp_hash(otp: str) -> str:
    """A test shipment's PIN digest (fixed salt, least cost: tests stay fast)."""
    return pin_digest(otp, b"edge-world-salt!", MIN_COST_N)


def shipment_command(
    serial: int,
    *,
    courier: str = COURIER,
    seq: int = 0,
    cod: int = 0,
    otp: str = "",
    day: str = DAY,
    currency: str = "EUR",
) -> tuple[str, DocCommand]:
    info = ShipmentInfo(
        merchant_id="M1",
        tracking_number=make_tracking_number(serial),
        currency=currency,
        recipient_name=f"Recipient {serial}",
        city="Amsterdam",
        cod_amount=cod,
        depot_id=DEPOT,
        courier_id=courier,
        route_day=day,
        route_seq=seq or serial,
        otp_digest=otp_hash(otp) if otp else "",
        parcels=[Parcel(barcode=f"BC-{serial}")],
    )
    doc_id = named_id("test-shipment", str(serial))
    created = ShipmentCreated(
        id=named_id("created", str(serial)),
        hlc=f"{T0 - 10_000:013d}.000000.seed",
        device=OFFICE.id,
        actor="seed",
    )
    return doc_id, DocCommand.build("create", "shipment", [created], info=msgspec.to_builtins(info))


def return_command(
    name: str, *, courier: str = COURIER, skus: tuple[str, ...] = ("SKU-1",), day: str = ""
):
    info = ReturnInfo(
        shipment_id=named_id("test-shipment", "1"),
        merchant_id="M1",
        items=[Item(sku=s, quantity=2) for s in skus],
        depot_id=DEPOT,
        courier_id=courier,
        route_day=day,
        route_seq=3,
        recipient_name="Radu Ionescu",
        address="Calea Victoriei 15",
        city="Bucuresti",
    )
    requested = ReturnRequested(
        id=named_id("requested", name),
        hlc=f"{T0 - 10_000:013d}.000000.seed",
        device=OFFICE.id,
        actor="seed",
    )
    doc_id = named_id("test-return", name)
    return doc_id, DocCommand.build("create", "return", [requested], info=msgspec.to_builtins(info))


async def seed(store: ReplicaStore, commands: list[tuple[str, DocCommand]]) -> None:
    """Write documents as if they had arrived from upstream (no outbox)."""
    await commit_commands(store, commands, device_id=OFFICE.id, queue=False)


async def node(
    path: Path, device: Device, *, cash_limit: int | None = None, wall: Wall | None = None
) -> EdgeContext:
    store = await EdgeStore.open(path)
    identity = Identity(
        device_id=device.id,
        role=device.role,
        depot_id=device.depot_id or "",
        courier_id=device.courier_id or "",
        cash_limit=cash_limit,
    )
    await enroll(store, identity)
    return EdgeContext(store, identity, wall=wall or Wall())


async def enrolled(path: Path, device: Device) -> None:
    """Enrol ``device`` in a new edge store at ``path`` and close it."""
    await (await node(path, device)).close()


def fast_backoff() -> Backoff:
    return Backoff(base=0.01, cap=0.05)


async def idle(node: EdgeNode, limit_s: float = 15) -> None:
    async with asyncio.timeout(limit_s):
        await node.loop.until_idle()


async def snapshot(store: ReplicaStore) -> dict[str, Any]:
    """Everything a command could write: documents, outbox, projections, quarantine."""
    tables = ["documents", "outbox", "quarantine", *PROJECTION_TABLES, "edge_attachments"]
    return {t: await store.query(f"SELECT * FROM {t} ORDER BY 1, 2") for t in tables}


class Central:
    """An in-process central: a replica store and a SyncServer over it."""

    def __init__(self, store: ReplicaStore, server: SyncServer, devices: dict[str, Device]):
        self.store, self.server, self.devices = store, server, devices

    @classmethod
    async def open(cls, path: Path, devices: list[Device], *, relay: bool = False) -> Central:
        store = await ReplicaStore.open(path)
        registry = {d.id: d for d in [OFFICE, DEPOT_DEVICE, *devices]}

        async def lookup(device_id: str) -> Device | None:
            return registry.get(device_id)

        return cls(store, SyncServer(store, lookup, relay=relay), registry)

    def channel(self, device: Device, **faults: Any) -> InMemoryChannel:
        return InMemoryChannel(self.server, device, **faults)

    def client(self, ctx: EdgeContext, **faults: Any) -> SyncClient:
        return SyncClient(
            ctx.store, self.channel(ctx.identity.device, **faults), device_id=ctx.device_id
        )


async def relay_depot(
    path: Path, central: Central, handhelds: list[Device]
) -> tuple[EdgeNode, InMemoryChannel]:
    """A started depot node relaying on loopback, ``handhelds`` enrolled at it, and its WAN.

    Each handheld's token at the depot is ``token-<device id>``; the caller stops the node.
    """
    await enrolled(path, DEPOT_DEVICE)
    async with await EdgeStore.open(path) as store:
        for device in handhelds:
            await store.enroll(device, token=f"token-{device.id}")
    wan = central.channel(DEPOT_DEVICE)
    depot = EdgeNode(
        path,
        channel=wan,
        listen=("127.0.0.1", 0),
        interval=0.05,
        backoff=fast_backoff(),
        wall=Wall(),
    )
    await depot.start()
    return depot, wan


async def relay_handheld(path: Path, device: Device, depot: EdgeNode) -> EdgeNode:
    """``device`` enrolled at ``path`` and started, syncing over HTTP through ``depot``'s relay
    with the token :func:`relay_depot` gave it; the node owns its channel, the caller stops it.
    """
    assert depot.relay is not None
    await enrolled(path, device)
    node = EdgeNode(
        path,
        upstream=f"http://127.0.0.1:{depot.relay.port}",
        token=f"token-{device.id}",
        interval=0.05,
        backoff=fast_backoff(),
        wall=Wall(),
    )
    await node.start()
    return node


# ---- checks of a converged network (central against each edge replica) ------------------


async def scope_at_central(central: ReplicaStore, edge: EdgeStore) -> list[str]:
    """Ids of the documents central holds in the edge's scope (a courier's, a depot's)."""
    identity = await read_identity(edge)
    assert identity is not None
    column, key = ("depot_id", identity.depot_id)
    if identity.role == Role.COURIER:
        column, key = ("courier_id", identity.courier_id)
    rows = await central.query(
        f"SELECT doc_id FROM documents WHERE {column} = ? ORDER BY doc_id", (key,)
    )
    return [r[0] for r in rows]


async def replica_gaps(central: ReplicaStore, edge: EdgeStore) -> list[str]:
    """How an edge replica differs from central on its scope; empty once converged."""
    gaps = []
    stats, quarantined = await edge.outbox_stats(), await edge.quarantined()
    if stats.waiting or quarantined:
        gaps.append(f"{stats.waiting} outbox items waiting, {len(quarantined)} quarantined")
    scope, held = await scope_at_central(central, edge), await edge.document_ids()
    if held != scope:
        gaps.append(f"holds {sorted(set(held) ^ set(scope))} unlike central's scope")
    at_central, here = await state_vectors(central), await state_vectors(edge)
    differing = [d for d in scope if here.get(d) != at_central[d]]
    if differing:
        gaps.append(f"state vectors differ on {differing}")
    if await projection_rows(edge) != await projection_rows(central, scope):
        gaps.append("projection rows differ")
    return gaps


async def event_origins(central: ReplicaStore) -> dict[str, list[str]]:
    """``event id -> origin device`` of each update-log row that brought it to a document.

    Replays each document's log in order and attributes every event id that
    newly appears after a row to that row's origin device.
    """
    rows = await central.query(
        "SELECT doc_id, update_blob, origin_device FROM update_log "
        "WHERE kind = 'update' ORDER BY seq"
    )
    docs: dict[str, Any] = {}
    seen: dict[str, set[str]] = {}
    origins: dict[str, list[str]] = {}
    for doc_id, blob, origin in rows:
        doc = docs.setdefault(doc_id, load(None))
        doc.apply_update(bytes(blob))
        known = seen.setdefault(doc_id, set())
        for event in read_content(doc).events:
            if event["id"] not in known:
                known.add(event["id"])
                origins.setdefault(event["id"], []).append(origin)
    return origins


async def duplicated_events(store: ReplicaStore) -> list[str]:
    """Event ids present more than once in a document's events array."""
    duplicated = []
    for stored in (await store.load(await store.document_ids())).values():
        ids = [e["id"] for e in read_content(load(stored.state)).events]
        duplicated += [i for i in set(ids) if ids.count(i) > 1]
    return duplicated


async def cash_totals(central: ReplicaStore) -> dict[str, tuple[int, int, int, int]]:
    """``courier -> (collected, handed over, counted, in hand)`` over the courier's books."""
    rows = await central.query(
        "SELECT owner_id, sum(collected), sum(handed_over), sum(counted), sum(in_hand), "
        "sum(reversed) FROM p_cash_books WHERE owner_kind = 'courier' GROUP BY owner_id"
    )
    for owner, collected, handed, _, in_hand, reversed_ in rows:
        assert collected - reversed_ == handed + in_hand, f"book of {owner} does not balance"
    return {r[0]: (r[1], r[2], r[3], r[4]) for r in rows}


@asynccontextmanager
async def one_shipment_network(
    tmp_path: Path, *, via_depot: bool = True
) -> AsyncIterator[tuple[Network, Node, str, Device]]:
    """An in-process central (with a depot relay when ``via_depot``), C1's handheld and
    one shipment on C1's route, synced: ``(network, handheld node, shipment id, office)``."""
    net = Network(tmp_path)
    rng = random.Random(0)
    office = HEAD_OFFICE
    await net.add_central(office)
    upstream = "central"
    if via_depot:
        await net.add_edge("depot", DEPOT_DEVICE, "central", relay=True, rng=rng)
        upstream = "depot"
    hh = await net.add_edge(
        "hh", handheld(COURIER), upstream, relay=False, rng=rng, store_cls=EdgeStore
    )
    doc_id, create = actions.create_shipment(actor(office, rng=rng), 1, DEPOT, COURIER, 0, DAY)
    try:
        central = net.nodes["central"].store
        await commit_commands(central, [(doc_id, create)], device_id=office.id, queue=False)
        await net.converge()
        yield net, hh, doc_id, office
    finally:
        await net.close()
