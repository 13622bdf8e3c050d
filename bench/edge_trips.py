"""SQLite round trips, commits and WAL bytes of a handheld's command and sync rounds.

``python -m bench.edge_trips --json``

A handheld replica syncs with an in-process central over
:class:`sync.InMemoryChannel`, one :class:`edge.sync_loop.SyncLoop` round at a
time (the rounds an :class:`edge.node.EdgeNode` runs, without its timer).
Measured on the handheld's file only: a delivery command, the round that
pushes it, and an idle round (nothing to push, nothing to pull). A round trip
is one call into aiosqlite's thread (``Connection._execute``: every awaited
aiosqlite call is one); a commit is a
``COMMIT`` statement SQLite ran (its trace callback); WAL bytes are the growth
of the ``-wal`` file with automatic checkpoints off, so every frame written
stays counted.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import tempfile
from collections import Counter
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

import aiosqlite

from edge import commands
from edge.context import EdgeContext, Identity, enroll, wall_ms
from edge.node import HEARTBEAT_MS
from edge.status import UPSTREAM, node_status
from edge.store import EdgeStore
from edge.sync_loop import SyncLoop
from protocol.permissions import Device
from protocol.vocab import Role
from sync import InMemoryChannel, ReplicaStore, SyncClient, SyncServer, commit_commands

from .edge_bootstrap import COURIER, DAY, shipment

T = Any


class TripCounter:
    """Counts trips and commits on the connections of the files it watches."""

    def __init__(self) -> None:
        self.counts: Counter[str] = Counter()
        self._watched: set[int] = set()
        self._original: Callable[..., Awaitable[Any]] = aiosqlite.Connection._execute

    def watch(self, store: ReplicaStore) -> None:
        """Count the trips of ``store``'s connections from now on."""
        self._watched |= {id(store._db), id(store._reader)}

    def __enter__(self) -> TripCounter:
        counter, original = self, self._original

        async def counting(connection: aiosqlite.Connection, fn: Callable[..., T], *a: Any) -> T:
            if id(connection) not in counter._watched:
                return await original(connection, fn, *a)
            counter.counts["trips"] += 1

            def traced(*args: Any) -> T:
                connection._conn.set_trace_callback(counter._statement)
                return fn(*args)

            return await original(connection, traced, *a)

        aiosqlite.Connection._execute = counting  # type: ignore[method-assign]
        return self

    def __exit__(self, *exc: object) -> None:
        aiosqlite.Connection._execute = self._original  # type: ignore[method-assign,assignment]

    def _statement(self, sql: str) -> None:
        if sql.strip().upper() == "COMMIT":
            self.counts["commits"] += 1


def _size(path: Path) -> int:
    return path.stat().st_size if path.exists() else 0


async def _measure(
    counter: TripCounter, wal: Path, action: Callable[[], Awaitable[object]]
) -> dict[str, int]:
    counter.counts.clear()
    before = _size(wal)
    await action()
    after = _size(wal)
    return {
        "trips": counter.counts["trips"],
        "commits": counter.counts["commits"],
        "wal_bytes": after - before,
    }


@asynccontextmanager
async def handheld(root: Path, stops: int) -> AsyncIterator[tuple[EdgeContext, SyncLoop]]:
    """A handheld with ``stops`` shipments synced from an in-process central, and its loop
    (its client set up as :class:`edge.node.EdgeNode` sets it up)."""
    central = await ReplicaStore.open(root / "central.db")
    await commit_commands(
        central, [shipment(i, stops) for i in range(stops)], device_id="office", queue=False
    )

    async def lookup(device_id: str) -> Device | None:
        return COURIER if device_id == COURIER.id else None

    server = SyncServer(central, lookup)
    path = root / "hh.db"
    async with await EdgeStore.open(path) as store:
        await enroll(store, Identity(COURIER.id, Role.COURIER, "D1", "C1"))
    ctx = await EdgeContext.open(path)
    client = SyncClient(
        ctx.store,
        InMemoryChannel(server, COURIER),
        device_id=COURIER.id,
        upstream=UPSTREAM,
        heartbeat_ms=HEARTBEAT_MS,
    )
    try:
        loop = SyncLoop(client, wall=wall_ms)
        await loop.round()
        yield ctx, loop
    finally:
        await ctx.close()
        await central.close()


async def main(stops: int) -> dict[str, Any]:
    with tempfile.TemporaryDirectory() as tmp, TripCounter() as counter:
        root = Path(tmp)
        async with handheld(root, stops) as (ctx, loop):
            store = ctx.store
            await store.query("PRAGMA wal_autocheckpoint=0")
            counter.watch(store)
            wal = root / "hh.db-wal"
            route = await commands.load_route(ctx, DAY)
            stop = next(s.tracking_number for s in route if not s.cod_amount)
            await commands.out_for_delivery(ctx, stop)
            await loop.round()
            command = await _measure(
                counter,
                wal,
                lambda: commands.deliver(ctx, stop, recipient_name="A. Jansen"),
            )
            after_stop = await _measure(counter, wal, loop.round)
            idle = await _measure(counter, wal, loop.round)
            status = await _measure(counter, wal, lambda: node_status(store, wall_ms()))
    return {
        "stops": stops,
        "pid": os.getpid(),
        "deliver_command": command,
        "round_after_stop": after_stop,
        "idle_round": idle,
        "status": status,
    }


def cli() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--stops", type=int, default=115)
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args()
    result = asyncio.run(main(args.stops))
    result.pop("pid")
    print(json.dumps(result, indent=None if args.json else 2))


if __name__ == "__main__":
    cli()
