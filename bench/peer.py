"""Peer comparison: a fresh client syncing N shipment documents, parcelsync vs pycrdt-websocket.

``python -m bench.peer [--docs 1000] [--concurrency 50] [--rounds 3] [--json]``

The same documents (fixture shipments written by :mod:`sync.documents`, one
Yjs update each) are served twice on 127.0.0.1, each server its own process:

- parcelsync: the real central (``server.serve``, uvicorn, SQLite), seeded
  through the validated HTTP push as head office; the client is a fresh depot
  replica (:class:`edge.store.EdgeStore` + :class:`sync.SyncClient` over
  :class:`sync.http_transport.HttpChannel`) pulling its depot's scope, paged.
- pycrdt-websocket: one room per document (:mod:`bench.peer_rooms`); the
  client opens one ``pycrdt.Provider`` per room over WebSocket, ``concurrency``
  at a time, and waits until each is synced, as a Yjs user would today.

- bare batched pull: the same depot's updates pulled over the same HTTP
  endpoint in the same pages, msgpack-decoded and nothing applied (no Doc, no
  store): the floor a client's pull cannot go below, measured in the same run.

Each side runs a warm-up sync first (a throwaway client), then ``rounds``
measured ones, interleaved (median reported); every client must hold every
document with its tracking number afterwards.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import logging
import statistics
import tempfile
import time
from pathlib import Path
from typing import Any

import msgspec

from edge.store import EdgeStore
from fixtures import build_dataset
from protocol.events import ShipmentCreated
from protocol.hlc import HybridClock
from protocol.ids import named_id
from protocol.wire import DocUpdate, Hello, PullRequest
from simulation.world import creation_command
from sync import SyncClient
from sync.documents import apply_command
from sync.http_transport import HttpChannel

from . import peer_rooms
from .server_ingest import TOKEN, _enrol, _start, push_all

OFFICE = "office-bootstrap"
DEPOT_DEVICE = "peer-depot"


class Shipments(msgspec.Struct, frozen=True):
    """The compared documents: their depot and ``(doc_id, tracking number, update)``."""

    depot_id: str
    docs: list[tuple[str, str, bytes]]


def shipment_docs(count: int, seed: int = 1) -> Shipments:
    """``count`` fixture shipments of one depot, each as its creation update."""
    data = build_dataset(seed, depots=1, couriers_per_depot=count // 80 + 1, merchants=8)
    if len(data.shipments) < count:
        raise ValueError(f"the fixture day has {len(data.shipments)} shipments, not {count}")
    wall = iter(range(1_714_600_000_000, 1_714_600_000_000 + 10 * count))
    office = HybridClock(OFFICE, lambda: next(wall))
    docs = []
    for spec in data.shipments[:count]:
        created = ShipmentCreated(
            id=named_id("peer-created", spec.id),
            hlc=office.now().encode(),
            device=OFFICE,
            actor="bench",
        )
        _, update = apply_command(None, creation_command(spec, created), 1)
        docs.append((spec.id, spec.tracking_number, update))
    return Shipments(data.network.depots[0].id, docs)


async def parcelsync_fetch(
    url: str, token: str, path: Path, device_id: str = DEPOT_DEVICE
) -> dict[str, Any]:
    """A depot replica at ``path`` pulls its scope; seconds, bytes and tracking numbers."""
    store = await EdgeStore.open(path)
    try:
        async with HttpChannel(url, token) as channel:
            client = SyncClient(store, channel, device_id=device_id, page=2000)
            started = time.perf_counter()
            await client.sync()
            seconds = time.perf_counter() - started
            exchanged = channel.bytes_sent + channel.bytes_received
        rows = await store.query("SELECT doc_id, tracking_number FROM p_shipments")
    finally:
        await store.close()
    return {"seconds": seconds, "bytes": exchanged, "tracking": dict(rows)}


async def bare_pull(url: str, token: str, device_id: str = DEPOT_DEVICE) -> dict[str, Any]:
    """The depot's scope pulled page by page and decoded, nothing applied or stored."""
    async with HttpChannel(url, token) as channel:
        started = time.perf_counter()
        cursor, after, more = 0, "", True
        pulled: list[DocUpdate] = []
        while more:
            request = PullRequest(Hello(device_id), cursor, [], 2000, snapshot_after=after)
            page = await channel.pull(request)
            pulled.extend((*page.updates, *page.entering))
            cursor, after, more = page.cursor, page.snapshot_after, page.has_more
        seconds = time.perf_counter() - started
        exchanged = channel.bytes_sent + channel.bytes_received
    return {"seconds": seconds, "bytes": exchanged, "docs": {u.doc_id for u in pulled}}


def _check(side: str, got: dict[str, str], expected: dict[str, str]) -> None:
    if got != expected:
        missing = len(set(expected) - set(got))
        raise RuntimeError(f"{side} client does not hold the documents ({missing} missing)")


async def run(count: int, concurrency: int = 50, rounds: int = 3) -> dict[str, Any]:
    """Serve the same ``count`` documents both ways; median of ``rounds`` fresh clients each."""
    shipments = shipment_docs(count)
    expected = {doc_id: tracking for doc_id, tracking, _ in shipments.docs}
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        docs_file = root / "docs.msgpack"
        docs_file.write_bytes(msgspec.msgpack.encode([(d, u) for d, _, u in shipments.docs]))
        central, url = _start(root / "central.db")
        rooms, ws_url = peer_rooms.start(docs_file)
        try:
            async with HttpChannel(url, TOKEN) as office:
                await push_all(office, OFFICE, [(d, u) for d, _, u in shipments.docs])
            token = _enrol(url, role="depot", device_id=DEPOT_DEVICE, depot_id=shipments.depot_id)
            ours, theirs, bare = [], [], []
            for n in range(rounds + 1):  # round 0 warms both up and is not counted
                floor = await bare_pull(url, token)
                mine = await parcelsync_fetch(url, token, root / f"depot-{n}.db")
                peer = await peer_rooms.fetch_rooms(ws_url, list(expected), concurrency)
                if floor.pop("docs") != set(expected):
                    raise RuntimeError("the bare pull did not get every document")
                _check("parcelsync", mine.pop("tracking"), expected)
                _check("pycrdt-websocket", peer.pop("tracking"), expected)
                if n:
                    ours.append(mine)
                    theirs.append(peer)
                    bare.append(floor)
        finally:
            for process in (central, rooms):
                process.terminate()
                process.wait(10)
    return _result(count, concurrency, ours, theirs, bare)


def _median(runs: list[dict[str, Any]]) -> dict[str, Any]:
    seconds = statistics.median(r["seconds"] for r in runs)
    every = [round(r["seconds"], 4) for r in runs]
    return {
        "seconds": round(seconds, 4),
        "each": every,
        "bytes": runs[0]["bytes"],
        "rounds": len(runs),
    }


def _result(
    count: int,
    concurrency: int,
    ours: list[dict[str, Any]],
    theirs: list[dict[str, Any]],
    bare: list[dict[str, Any]],
) -> dict[str, Any]:
    mine, peer, floor = _median(ours), _median(theirs), _median(bare)
    return {
        "documents": count,
        "parcelsync": {"transport": "HTTP msgpack, paged pull of the depot scope", **mine},
        "pycrdt_websocket": {
            "transport": f"one WebSocket room per document, {concurrency} at a time",
            **peer,
        },
        "bare_pull": {"transport": "the same pages over HTTP, msgpack-decoded only", **floor},
        "speedup": round(peer["seconds"] / mine["seconds"], 2),
        "x_bare_pull": round(mine["seconds"] / floor["seconds"], 2),
        "x_bare_pull_each": [
            round(m["seconds"] / f["seconds"], 2) for m, f in zip(ours, bare, strict=True)
        ],
        "speedup_each": [
            round(t["seconds"] / m["seconds"], 2) for m, t in zip(ours, theirs, strict=True)
        ],
    }


def main() -> None:
    """Command-line entry point."""
    logging.getLogger("httpx").setLevel(logging.WARNING)
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--docs", type=int, default=1000, help="documents to sync (1,000)")
    parser.add_argument("--concurrency", type=int, default=50, help="open rooms at a time")
    parser.add_argument("--rounds", type=int, default=3, help="measured rounds (median)")
    parser.add_argument("--json", action="store_true", help="print one JSON object")
    args = parser.parse_args()
    result = asyncio.run(run(args.docs, args.concurrency, args.rounds))
    print(json.dumps(result, indent=None if args.json else 2))


if __name__ == "__main__":
    main()
