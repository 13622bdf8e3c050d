"""The senders of ``parcelsync simulate --processes``: each merchant's own replica.

A merchant's system is enrolled at central as a merchant device and keeps a
replica of its shipments (merchant scope) in sync over HTTP, like any other
node. When a shipment it has a scripted answer for is on hold there, it
records the sender's decision (reattempt or return) and pushes it; central
checks that update against the merchant device as it checks any other.
"""

from __future__ import annotations

import asyncio
from contextlib import suppress
from dataclasses import dataclass, field
from pathlib import Path

from edge.context import wall_ms
from protocol.commands import DocCommand
from protocol.events import SenderDecision
from protocol.hlc import HybridClock, Timestamp
from protocol.ids import new_id
from protocol.permissions import Device
from sync import ChannelClosed, ReplicaStore, SyncClient, commit_commands, device_scopes
from sync.http_transport import HttpChannel

from .proc_script import Answer
from .read_store import shipment_statuses
from .report import Replica
from .world import hlcs

SYNC_S = 0.5  # seconds between two syncs of a merchant's system


@dataclass(slots=True)
class MerchantReplica:
    """One merchant's replica, its link to central and the answers it still owes."""

    device: Device
    store: ReplicaStore
    channel: HttpChannel
    client: SyncClient
    clock: HybridClock
    answers: dict[str, Answer] = field(default_factory=dict)  # shipment id -> decision

    @classmethod
    async def open(cls, db: Path, url: str, device: Device, token: str) -> MerchantReplica:
        """The replica file ``db`` syncing with central at ``url`` as ``device``."""
        store = await ReplicaStore.open(db)
        channel = HttpChannel(url, token)
        scopes = device_scopes(device)
        client = SyncClient(store, channel, device_id=device.id, upstream=url, scopes=scopes)
        return cls(device, store, channel, client, HybridClock(device.id, wall_ms))

    @property
    def replica(self) -> Replica:
        return Replica(self.device.id, self.device, self.store)

    async def run(self, stop: asyncio.Event) -> None:
        """Sync every ``SYNC_S`` and answer each hold as soon as it shows here, until ``stop``."""
        while not stop.is_set():
            with suppress(ChannelClosed):  # central is down: try again at the next round
                await self.client.sync()
                if await self._answer_holds():
                    await self.client.push()
            with suppress(TimeoutError):
                await asyncio.wait_for(stop.wait(), SYNC_S)

    async def _answer_holds(self) -> int:
        statuses = await shipment_statuses(self.store)
        held = [d for d, s in statuses.items() if s == "on_hold" and d in self.answers]
        for doc_id in held:
            await self._decide(doc_id, self.answers.pop(doc_id))
        return len(held)

    async def _decide(self, doc_id: str, answer: Answer) -> None:
        latest = max(await hlcs(self.store, doc_id), default=None)
        if latest:
            self.clock.observe(Timestamp.decode(latest))
        body = SenderDecision.Body(decision=answer)
        event = SenderDecision(
            id=new_id(),
            hlc=self.clock.now().encode(),
            device=self.device.id,
            actor=self.device.id,
            payload=body,
        )
        command = DocCommand.build("decide", "shipment", [event])
        await commit_commands(self.store, [(doc_id, command)], device_id=self.device.id)

    async def close(self) -> None:
        await self.channel.aclose()
        await self.store.close()
