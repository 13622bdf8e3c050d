"""The simulated world: central, one relay per depot, one handheld per courier.

Every node is a real replica file; depots and handhelds are
:class:`edge.store.EdgeStore` replicas driven through
:class:`edge.context.EdgeContext`, so the edge command functions run on them
exactly as on a device. Head office writes at central directly (the office
path the server's services take). All clocks read one simulated wall clock.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import itertools
import random
from collections.abc import Callable, Iterable
from pathlib import Path

import msgspec

from edge.context import EdgeContext, Identity, enroll
from edge.store import EdgeStore
from fixtures import Network as FixtureNetwork
from fixtures import ShipmentSpec
from protocol.commands import DocCommand
from protocol.events import Event, ShipmentCreated, Stamp
from protocol.hlc import HybridClock, Timestamp
from protocol.ids import named_id
from protocol.info import Item, Parcel, ShipmentInfo
from protocol.permissions import Device
from protocol.pin import MIN_COST_N, pin_digest
from protocol.vocab import Role
from sync import ReplicaStore, commit_commands

from .network import Network
from .read_store import event_hlcs, has_event
from .wakes import Wakes

OFFICE = Device("office", Role.OFFICE)
TICK_MS = 5 * 60 * 1000  # one scheduler tick is five simulated minutes


async def hlcs(store: ReplicaStore, doc_id: str) -> list[str]:
    """Timestamps of the events a replica holds for ``doc_id``."""
    return await event_hlcs(store, doc_id)


class SimClock:
    """Simulated wall time in ms: +1 ms per reading, jumps with :meth:`advance`."""

    def __init__(self, day: str):
        self.now = 0
        self.start_day(day)

    def start_day(self, day: str, hour: int = 7) -> None:
        """Move to ``hour``:00 local time of ``day`` (never backwards)."""
        start = dt.datetime.combine(dt.date.fromisoformat(day), dt.time(hour))
        self.now = max(self.now, int(start.timestamp() * 1000))

    def advance(self, ms: int = TICK_MS) -> None:
        self.now += ms

    def __call__(self) -> int:
        self.now += 1
        return self.now


def shipment_info(spec: ShipmentSpec) -> ShipmentInfo:
    """The document info of a fixture shipment, as a merchant would have created it."""
    return ShipmentInfo(
        merchant_id=spec.merchant_id,
        tracking_number=spec.tracking_number,
        currency=spec.currency,
        order_ref=spec.order_ref,
        recipient_name=spec.recipient_name,
        recipient_phone=spec.recipient_phone,
        address=spec.address,
        postcode=spec.postcode,
        city=spec.city,
        cod_amount=spec.cod_amount or 0,
        depot_id=spec.depot_id,
        courier_id=spec.courier_id,
        route_day=spec.route_day,
        route_seq=spec.route_seq,
        slot_start=spec.slot_start,
        slot_end=spec.slot_end,
        otp_digest=fixture_pin_digest(spec.id, spec.otp) if spec.otp else "",
        parcels=[Parcel(p.barcode, p.weight_g) for p in spec.parcels],
        items=[Item(i.sku, i.quantity, i.unit_price_minor) for i in spec.items],
    )


def fixture_pin_digest(shipment_id: str, pin: str) -> str:
    """A fixture shipment's PIN digest: salted by its id (the same every run), at the
    least cost allowed, so simulated days stay short."""
    salt = hashlib.sha256(f"parcelsync/fixture-pin/{shipment_id}".encode()).digest()[:16]
    return pin_digest(pin, salt, MIN_COST_N)


def creation_command(spec: ShipmentSpec, created: ShipmentCreated) -> DocCommand:
    """The command that creates a fixture shipment's document with event ``created``."""
    info = msgspec.to_builtins(shipment_info(spec))
    return DocCommand.build("create", "shipment", [created], info=info)


class World:
    """The network of replicas plus an edge context per depot and handheld."""

    def __init__(
        self,
        root: Path,
        fixture: FixtureNetwork,
        clock: SimClock,
        rng: random.Random,
        central_db: str = "",
    ):
        self.net = Network(root, central_db=central_db)
        self.wakes = Wakes(self.net)  # which edges have a reason to sync
        self.fixture = fixture
        self.clock = clock
        self.rng = rng
        self.office_clock = HybridClock(OFFICE.id, clock)
        self.contexts: dict[str, EdgeContext] = {}
        self.depot_node: dict[str, str] = {}  # depot id -> node name
        self.handheld_node: dict[str, str] = {}  # courier id -> node name
        self.committed: set[str] = set()  # every event id any node committed
        self.office_events = itertools.count()  # office event ids are derived, not random

    @property
    def central(self) -> ReplicaStore:
        return self.net.nodes["central"].store

    async def build(self, progress: Callable[[str], None]) -> None:
        """Create central, the depot relays and the handhelds, and enrol each."""
        await self.net.add_central(OFFICE)
        for depot in self.fixture.depots:
            name = f"depot-{depot.code}"
            device = Device(f"dev-{depot.code}", Role.DEPOT, depot_id=depot.id)
            await self._edge(name, device, "central", relay=True, currency=depot.currency)
            self.depot_node[depot.id] = name
        for courier in self.fixture.couriers:
            name = f"hh-{courier.code}"
            device = Device(
                f"hh-{courier.code}", Role.COURIER, depot_id=courier.depot_id, courier_id=courier.id
            )
            upstream = self.depot_node[courier.depot_id]
            await self._edge(name, device, upstream, relay=False, currency=self.fixture.currency)
            self.handheld_node[courier.id] = name
            if len(self.handheld_node) % 200 == 0:
                progress(f"network: {len(self.handheld_node)} handhelds created")
        for name in ["central", *self.depot_node.values()]:
            await self.wakes.watch(name)

    async def _edge(
        self, name: str, device: Device, upstream: str, *, relay: bool, currency: str
    ) -> None:
        node = await self.net.add_edge(
            name, device, upstream, relay=relay, rng=self.rng, store_cls=EdgeStore
        )
        assert isinstance(node.store, EdgeStore)
        identity = Identity(
            device_id=device.id,
            role=device.role,
            depot_id=device.depot_id or "",
            courier_id=device.courier_id or "",
            currency=currency,
        )
        await enroll(node.store, identity)
        self.contexts[name] = self._context(name, node.store, identity)

    def _context(self, name: str, store: EdgeStore, identity: Identity) -> EdgeContext:
        skew = self.rng.randint(-120_000, 120_000) if identity.role == Role.COURIER else 0
        ctx = EdgeContext(store, identity, wall=lambda: self.clock() + skew)
        ctx.on_commit.append(lambda: self.wakes.wake(name))
        return ctx

    async def kill(self, name: str) -> None:
        """Close a node's replica mid-day and reopen it from its file."""
        node = await self.net.reopen(name)
        if name in self.contexts:
            assert isinstance(node.store, EdgeStore)
            self.contexts[name] = self._context(name, node.store, self.contexts[name].identity)
        if node.server is not None:
            await self.wakes.watch(name)
        if node.client is not None:
            self.wakes.wake(name)

    async def seed(
        self, specs: Iterable[ShipmentSpec], progress: Callable[[str], None], batch: int = 500
    ) -> int:
        """Head office registers the day's shipments at central, ``batch`` per transaction."""
        commands = [
            (spec.id, creation_command(spec, ShipmentCreated(**self.office_base())))
            for spec in specs
        ]
        for start in range(0, len(commands), batch):
            await commit_commands(
                self.central, commands[start : start + batch], device_id=OFFICE.id, queue=False
            )
            if start and start % (50 * batch) == 0:
                progress(f"head office: {start}/{len(commands)} shipments seeded")
        return len(commands)

    def office_base(self, seen: Iterable[str] = ()) -> Stamp:
        """Common fields of an office event, stamped after the hlcs in ``seen``."""
        latest = max(seen, default=None)
        if latest is not None:
            self.office_clock.observe(Timestamp.decode(latest))
        event_id = named_id("sim-office-event", str(next(self.office_events)))
        self.committed.add(event_id)
        return {
            "id": event_id,
            "hlc": self.office_clock.now().encode(),
            "device": OFFICE.id,
            "actor": "head-office",
        }

    async def office_write(self, doc_id: str, command: DocCommand) -> None:
        """One office command at central (no outbox: central is the top)."""
        await commit_commands(self.central, [(doc_id, command)], device_id=OFFICE.id, queue=False)

    async def has_event(self, name: str, doc_id: str, event_id: str) -> bool:
        """True when node ``name`` already holds event ``event_id`` of ``doc_id``."""
        return await has_event(self.net.nodes[name].store, doc_id, event_id)

    def record(self, events: Iterable[Event | str]) -> list[str]:
        """Remember committed event ids (for the lost-update count); returns them."""
        ids = [e if isinstance(e, str) else e.id for e in events]
        self.committed.update(ids)
        return ids

    async def close(self) -> None:
        await self.wakes.close()
        await self.net.close()
