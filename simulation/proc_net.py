"""The nodes of ``parcelsync simulate --processes``, started once for every day.

Central runs as ``parcelsync server``; each depot as ``parcelsync edge depot``
(syncing with central through its own :class:`simulation.wan.WanLink`,
relaying for its own handhelds on its own port); each courier's handheld as
``parcelsync edge handheld`` syncing with its depot.
Devices are enrolled through central's devices API, the way an operator
would. Each merchant's system is a replica in this process syncing with
central over HTTP (:mod:`simulation.proc_merchant`).
"""

from __future__ import annotations

import socket
from contextlib import AsyncExitStack
from dataclasses import dataclass, field
from pathlib import Path

import httpx

from edge.context import Identity
from edge.store import EdgeStore
from fixtures import Network as FixtureNetwork
from protocol.permissions import Device
from protocol.vocab import Role

from .demo import enrol, open_edge
from .demo_people import Courier
from .fleet import Fleet
from .proc_merchant import MerchantReplica
from .report import Replica
from .wan import WanLink

INTERVAL = "0.5"  # seconds between a node's background syncs (pokes come sooner)


def free_port() -> int:
    """A TCP port nobody listens on right now."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@dataclass(slots=True)
class DepotSite:
    """One depot: its relay process, its replica file and its couriers' handhelds."""

    name: str  # the process's name in the fleet
    device: Device
    db: Path
    wan: WanLink  # its link to central
    couriers: list[Courier] = field(default_factory=list)


@dataclass(slots=True)
class ProcessNet:
    """Every node of the run: the fleet of processes and the merchants' replicas."""

    root: Path
    port: int  # central's
    fleet: Fleet
    started_on: str  # UTC day the run started: head office remits from then on
    depots: list[DepotSite] = field(default_factory=list)
    devices: dict[str, Device] = field(default_factory=dict)  # courier id -> handheld
    merchants: dict[str, MerchantReplica] = field(default_factory=dict)  # by merchant id

    @property
    def url(self) -> str:
        """Central's URL."""
        return f"http://127.0.0.1:{self.port}"

    @property
    def handhelds(self) -> list[str]:
        """Fleet names of the handheld processes (their device ids)."""
        return [c.name for c in self.couriers]

    @property
    def couriers(self) -> list[Courier]:
        return [c for d in self.depots for c in d.couriers]

    async def replicas(self, stack: AsyncExitStack) -> list[Replica]:
        """Every edge's replica (files opened for the checks) and the merchants'."""
        files = [(d.name, d.device, d.db) for d in self.depots]
        files += [(c.name, self.devices[c.courier_id], c.db) for c in self.couriers]
        replicas = []
        for name, device, db in files:
            store = await EdgeStore.open(db)
            stack.push_async_callback(store.close)
            replicas.append(Replica(name, device, store))
        return replicas + [m.replica for m in self.merchants.values()]

    async def close(self) -> None:
        """Close the merchants' replicas and the depots' WAN links."""
        for merchant in self.merchants.values():
            await merchant.close()
        for site in self.depots:
            await site.wan.close()


async def start_network(net: ProcessNet, network: FixtureNetwork, http: httpx.AsyncClient) -> None:
    """Enrol every device at central, then start each depot's and handheld's process."""
    for depot in network.depots:
        device = Device(f"proc-{depot.code}", Role.DEPOT, depot_id=depot.id)
        token = await enrol(http, device, f"depot {depot.name}", depot_name=depot.name)
        wan = WanLink(net.port)
        await wan.start()
        db = net.root / f"depot-{depot.code}.db"
        site = DepotSite(f"depot-{depot.code}", device, db, wan)
        port = free_port()
        handhelds = []
        for c in network.couriers_at(depot.id):
            hh = Device(f"proc-hh-{c.code}", Role.COURIER, depot_id=depot.id, courier_id=c.id)
            label = f"handheld of {c.name}"
            handhelds.append((hh, await enrol(http, hh, label, courier_name=c.name)))
            net.devices[c.id] = hh
        identity = Identity(
            device.id, Role.DEPOT, depot.id, upstream=wan.url, token=token, currency=depot.currency
        )
        await open_edge(site.db, identity, handhelds)
        net.fleet.start(
            site.name, site.db.with_suffix(".log"), "edge", "depot", "--db", str(site.db),
            "--listen", f"127.0.0.1:{port}", "--interval", INTERVAL,
        )  # fmt: skip
        relay = f"http://127.0.0.1:{port}"
        for hh, hh_token in handhelds:
            courier = hh.courier_id or ""
            db = net.root / f"{hh.id}.db"
            hh_identity = Identity(
                hh.id, Role.COURIER, depot.id, courier, relay, hh_token, currency=depot.currency
            )
            await open_edge(db, hh_identity)
            net.fleet.start(
                hh.id, db.with_suffix(".log"),
                "edge", "handheld", "--db", str(db), "--interval", INTERVAL,
            )  # fmt: skip
            site.couriers.append(Courier(courier, hh.id, db, []))
        net.depots.append(site)
    for n, m in enumerate(network.merchants, start=1):
        device = Device(f"proc-merchant-{n}", Role.MERCHANT, merchant_id=m.id)
        token = await enrol(http, device, f"system of {m.name}")
        db = net.root / f"merchant-{n}.db"
        net.merchants[m.id] = await MerchantReplica.open(db, net.url, device, token)
