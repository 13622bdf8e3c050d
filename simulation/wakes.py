"""Which edges sync in a tick: the ones with work, the poked ones, and a slow poll.

As in a real edge's sync loop (:mod:`edge.sync_loop`), a node syncs at once
after a local command or a relayed push, when its upstream pokes it (the
upstream's :class:`sync.live.LocalChangeFeed` saw log rows in the node's
scopes), after a failed sync, and otherwise every ``POLL_TICKS`` ticks. Idle
nodes therefore cost nothing in most ticks, which is what lets a network of
thousands of handhelds run; the final sync until quiet still syncs every node.
"""

from __future__ import annotations

import asyncio
from contextlib import ExitStack
from dataclasses import dataclass, field

from sync import SyncReport
from sync.live import LocalChangeFeed, Subscription

from .network import Network

POLL_TICKS = 6  # a node with nothing to do still syncs every 30 simulated minutes


@dataclass(slots=True)
class Feed:
    """A serving node's change feed, its children's subscriptions and their listeners."""

    feed: LocalChangeFeed
    children: list[str]
    subscriptions: ExitStack
    listeners: list[asyncio.Task[None]]


@dataclass(slots=True)
class Wakes:
    """Tracks which edges have a reason to sync."""

    net: Network
    due: set[str] = field(default_factory=set)  # edges to sync at the next chance
    feeds: dict[str, Feed] = field(default_factory=dict)  # serving node -> its feed

    def wake(self, name: str) -> None:
        """Edge ``name`` has something to push (a local command, a relayed push)."""
        self.due.add(name)

    async def watch(self, name: str) -> None:
        """(Re)start the change feed of serving node ``name`` and subscribe its children."""
        self.unwatch(name)
        node = self.net.nodes[name]
        feed = LocalChangeFeed(node.store)
        await feed.publish(await feed.head())  # pokes only for rows written from now on
        stack, listeners, children = ExitStack(), [], self._children(name)
        for child in children:
            subscription = stack.enter_context(feed.subscribe(self.net.nodes[child].device))
            listeners.append(asyncio.ensure_future(self._listen(child, subscription)))
            self.due.add(child)  # rows written before the feed started are not poked
        self.feeds[name] = Feed(feed, children, stack, listeners)

    def unwatch(self, name: str) -> None:
        """Stop the change feed of ``name``, if any."""
        old = self.feeds.pop(name, None)
        if old is not None:
            for task in old.listeners:
                task.cancel()
            old.subscriptions.close()

    async def _listen(self, name: str, subscription: Subscription) -> None:
        while True:
            await subscription.next()
            self.due.add(name)

    def _children(self, name: str) -> list[str]:
        """The edges syncing with node ``name``."""
        server = self.net.nodes[name].server
        return [
            n.name
            for n in self.net.nodes.values()
            if server is not None and n.channel is not None and n.channel.server is server
        ]

    async def publish(self) -> None:
        """Every serving node pokes the children whose scopes saw new log rows."""
        for name, feed in self.feeds.items():
            await feed.feed.publish(await self.net.nodes[name].store.head())
        await asyncio.sleep(0)  # let the listeners take their pokes

    def wanted(self, name: str, tick: int, index: int) -> bool:
        """True when edge ``name`` (the ``index``-th edge) should sync in ``tick``."""
        return name in self.due or (tick + index) % POLL_TICKS == 0

    def synced(self, name: str, report: SyncReport | None) -> None:
        """Record the outcome of a sync of ``name`` (None: the link failed)."""
        client = self.net.nodes[name].client
        assert client is not None
        above = [client.upstream] if self.net.nodes[client.upstream].client else []
        if report is None or report.rejected:
            # a cut answer may have been applied upstream; a refusal rebuilds documents
            # here and leaves resets for the children of a relay
            feed = self.feeds.get(name)
            self.due.update((name, *above, *(feed.children if feed else ())))
            return
        self.due.discard(name)
        if report.pushed:
            self.due.update(above)  # a relay queues what it accepted for its upstream

    async def close(self) -> None:
        """Stop every feed and wait for its listeners to end."""
        listeners = [task for feed in self.feeds.values() for task in feed.listeners]
        for name in list(self.feeds):
            self.unwatch(name)
        await asyncio.gather(*listeners, return_exceptions=True)
