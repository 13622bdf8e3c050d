"""An in-process network of real replicas (SQLite files) joined by in-memory channels.

Central runs a :class:`SyncServer`; an optional depot edge relays for its
handhelds (a server to them, a client to central); handhelds are clients.
Every message goes through MessagePack, and channels can lose requests,
lose answers and duplicate deliveries.
"""

from __future__ import annotations

import random
from dataclasses import dataclass, field
from pathlib import Path

from edge.node import HEARTBEAT_MS
from protocol.permissions import Device
from simulation.digest import state_vectors
from sync import (
    ChannelClosed,
    InMemoryChannel,
    ReplicaStore,
    SyncClient,
    SyncReport,
    SyncServer,
)


@dataclass(slots=True)
class Faults:
    """Probabilities applied to every message on a link."""

    drop_request: float = 0.0
    drop_answer: float = 0.0
    duplicate: float = 0.0


@dataclass(slots=True)
class Node:
    """One replica and, for edges, its client towards its upstream."""

    name: str
    device: Device
    store: ReplicaStore
    client: SyncClient | None = None
    channel: InMemoryChannel | None = None
    server: SyncServer | None = None


@dataclass(slots=True)
class Network:
    """Central plus edges; ``nodes['central']`` always exists."""

    root: Path
    nodes: dict[str, Node] = field(default_factory=dict)
    # A simulated kill closes a replica, it never cuts the power: no fsync per commit
    # (see ReplicaStore.open), which cost half the wall time of a simulated day.
    durable: bool = False
    devices: dict[str, Device] = field(default_factory=dict)
    central_db: str = ""  # central's store: a postgresql:// URL, else a file under root

    def path(self, name: str) -> str | Path:
        """Where node ``name``'s replica lives."""
        if name == "central" and self.central_db:
            return self.central_db
        return self.root / f"{name}.db"

    async def lookup(self, device_id: str) -> Device | None:
        """Device directory shared by every serving node (enrolment already done)."""
        return self.devices.get(device_id)

    async def add_central(self, office: Device) -> Node:
        """Create the central node."""
        store = await ReplicaStore.open(self.path("central"), durable=self.durable)
        node = Node("central", office, store, server=SyncServer(store, self.lookup))
        self.devices[office.id] = office
        self.nodes["central"] = node
        return node

    async def add_edge(
        self,
        name: str,
        device: Device,
        upstream: str,
        *,
        relay: bool,
        rng: random.Random,
        store_cls: type[ReplicaStore] = ReplicaStore,
    ) -> Node:
        """Create an edge replica (of ``store_cls``) syncing with node ``upstream``."""
        store = await store_cls.open(self.path(name), durable=self.durable)
        up = self.nodes[upstream]
        assert up.server is not None, f"{upstream} does not serve sync"
        channel = InMemoryChannel(up.server, device, rng=rng)
        client = SyncClient(
            store, channel, device_id=device.id, upstream=upstream, heartbeat_ms=HEARTBEAT_MS
        )
        server = SyncServer(store, self.lookup, relay=True) if relay else None
        if up.client is not None:  # a relay: it resets the devices enrolled at it
            await up.store.enroll(device)
        node = Node(name, device, store, client, channel, server)
        self.devices[device.id] = device
        self.nodes[name] = node
        return node

    async def reopen(self, name: str) -> Node:
        """Kill a node: close its replica and open it again from its file.

        Its client keeps the same link; a serving node gets a new ``SyncServer``
        and the links of the nodes below it are pointed at that one.
        """
        node = self.nodes[name]
        await node.store.close()
        node.store = await type(node.store).open(self.path(name), durable=self.durable)
        if node.client is not None:
            node.client.store = node.store
        if node.server is not None:
            old = node.server
            node.server = SyncServer(node.store, self.lookup, relay=name != "central")
            for other in self.nodes.values():
                if other.channel is not None and other.channel.server is old:
                    other.channel.server = node.server
        return node

    def set_faults(self, faults: Faults) -> None:
        """Apply the same fault probabilities to every link."""
        for node in self.nodes.values():
            if node.channel:
                node.channel.drop_request = faults.drop_request
                node.channel.drop_answer = faults.drop_answer
                node.channel.duplicate = faults.duplicate

    async def sync(self, name: str) -> SyncReport | None:
        """One sync of an edge: what it did, or None when the link failed (retry later)."""
        node = self.nodes[name]
        if node.client is None:
            return SyncReport()  # central: nothing above it
        try:
            return await node.client.sync()
        except ChannelClosed:
            return None

    async def converge(self, max_rounds: int = 50) -> int:
        """Sync every edge, relays before and after their handhelds, until quiet.

        Faults are switched off first; returns the number of rounds used.
        """
        self.set_faults(Faults())
        for node in self.nodes.values():
            if node.channel:
                node.channel.online = True
        order = sorted(
            (n for n in self.nodes.values() if n.client),
            key=lambda n: 0 if n.server else 1,
        )
        for rounds in range(1, max_rounds + 1):
            before = await self.fingerprint()
            for node in [*order, *reversed(order)]:
                await self.sync(node.name)
            waiting = [
                (await n.store.outbox_stats()).waiting for n in self.nodes.values() if n.client
            ]
            if not any(waiting) and await self.fingerprint() == before:
                return rounds
        raise AssertionError(f"network did not converge in {max_rounds} rounds")

    async def fingerprint(self) -> dict[str, dict[str, dict[int, int]]]:
        """Decoded state vectors of every node's documents."""
        return {name: await state_vectors(n.store) for name, n in self.nodes.items()}

    async def close(self) -> None:
        """Close every replica file."""
        for node in self.nodes.values():
            await node.store.close()
