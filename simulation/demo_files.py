"""The replica files ``parcelsync demo`` leaves in its directory, and a second run.

A demo run leaves central's, the depot's and each handheld's SQLite file in
``--dir``. The next run starts afresh by default (:func:`clear`, then the
whole day is played again: the parcels of the previous day are delivered
already, so they cannot be played twice). With ``--keep`` it continues the
previous run instead (:func:`continue_demo`): central, the depot and the
handhelds reopen their files and sync what they hold; no new day is played.
"""

from __future__ import annotations

import asyncio
from contextlib import AsyncExitStack
from pathlib import Path

import msgspec

from edge.context import enroll, read_identity
from edge.node import EdgeNode
from edge.store import EdgeStore

from .demo_people import Echo

CENTRAL_DB = "central.db"
DEPOT_DB = "depot.db"
HANDHELD_PREFIX = "demo-hh-"  # a handheld's file is named after its device id
COMPANIONS = ("", "-wal", "-shm", "-journal")  # SQLite's files beside a database


def handheld_db(directory: Path, device_id: str) -> Path:
    """Where the handheld ``device_id`` keeps its replica."""
    return directory / f"{device_id}.db"


def _handhelds(directory: Path) -> list[Path]:
    return sorted(directory.glob(f"{HANDHELD_PREFIX}*.db"))


def _databases(directory: Path) -> list[Path]:
    return [directory / CENTRAL_DB, directory / DEPOT_DB, *_handhelds(directory)]


def clear(directory: Path) -> int:
    """Remove the demo's SQLite files (and only those) from ``directory``; how many went."""
    removed = 0
    for db in _databases(directory):
        for path in (db.with_name(db.name + suffix) for suffix in COMPANIONS):
            if path.exists():
                path.unlink()
                removed += 1
    return removed


def can_continue(directory: Path) -> bool:
    """Whether a previous run got as far as the depot's replica (so there is a network)."""
    return (directory / CENTRAL_DB).exists() and (directory / DEPOT_DB).exists()


async def _point_at(db: Path, upstream: str) -> None:
    """Keep the replica's identity, with ``upstream`` (central's and the relay's ports change)."""
    store = await EdgeStore.open(db)
    try:
        identity = await read_identity(store)
        if identity is not None:
            await enroll(store, msgspec.structs.replace(identity, upstream=upstream))
    finally:
        await store.close()


async def continue_demo(directory: Path, host: str, url: str, echo: Echo) -> None:
    """The previous run's depot and handhelds, syncing again; runs until cancelled."""
    await _point_at(directory / DEPOT_DB, url)
    async with AsyncExitStack() as stack:
        depot = EdgeNode(directory / DEPOT_DB, listen=(host, 0), interval=1.0)
        await stack.enter_async_context(depot)
        assert depot.relay is not None
        relay = f"http://{host}:{depot.relay.port}"
        handhelds = _handhelds(directory)
        for db in handhelds:
            await _point_at(db, relay)
            await stack.enter_async_context(EdgeNode(db, interval=1.0))
        echo(
            f"demo: continuing the previous run in {directory}: the depot and "
            f"{len(handhelds)} handhelds sync what they hold; no new day is played "
            "(Ctrl-C to stop)"
        )
        await asyncio.Event().wait()
