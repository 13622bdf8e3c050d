"""In-process sync benchmark: ``python -m bench.sync [--quick] [--json]``.

1. Updates pushed and merged per second through ``SyncServer.push`` over the
   SQLite replica store (validation, projection, update log; batches of 200),
   beside the raw baseline measured in the same run: the same update blobs
   stored with sqlite3 ``executemany`` + ``pycrdt.merge_updates``.
2. Bytes per delivery-event update: the Yjs update alone and as one
   MessagePack push item on the wire.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import statistics
import tempfile
import time
from pathlib import Path
from typing import Any

from protocol.permissions import Device
from protocol.vocab import Role
from protocol.wire import Hello, PushItem, PushRequest, msgpack_encoder
from sync import ReplicaStore, SyncServer

from .server_ingest import BATCH, make_docs, raw_baseline

COURIER = "C-sync"
OFFICE = Device("office-bootstrap", Role.OFFICE)
HANDHELD = Device(f"hh-{COURIER}", Role.COURIER, depot_id="D1", courier_id=COURIER)


async def _push(server: SyncServer, sender: Device, items: list[tuple[str, bytes]]) -> float:
    """Push ``items`` in batches of ``BATCH``; returns seconds. All must be accepted."""
    start = time.perf_counter()
    for i in range(0, len(items), BATCH):
        batch = [PushItem(d, "shipment", u) for d, u in items[i : i + BATCH]]
        answer = await server.push(sender, PushRequest(Hello(sender.id), batch))
        refused = [r for r in answer.results if not r.accepted]
        if refused:
            raise RuntimeError(f"bench update refused: {refused[0]}")
    return time.perf_counter() - start


async def run(count: int) -> dict[str, Any]:
    """Push ``count`` creations then ``count`` courier events; raw baseline beside."""
    docs = list(make_docs(count, COURIER, 0))
    creates = [(d, c) for d, c, _ in docs]
    events = [(d, e) for d, _, e in docs]
    devices = {d.id: d for d in (OFFICE, HANDHELD)}

    async def lookup(device_id: str) -> Device | None:
        return devices.get(device_id)

    with tempfile.TemporaryDirectory() as tmp:
        store = await ReplicaStore.open(Path(tmp) / "central.db")
        try:
            server = SyncServer(store, lookup)
            seconds = await _push(server, OFFICE, creates) + await _push(server, HANDHELD, events)
        finally:
            await store.close()
    raw_s = sum(raw_baseline(creates, events))
    pushed, raw = 2 * count / seconds, 2 * count / raw_s
    wire = [
        len(msgpack_encoder.encode(PushRequest(Hello(HANDHELD.id), [PushItem(d, "shipment", u)])))
        for d, u in events[:200]
    ]
    return {
        "push": {
            "updates": 2 * count,
            "batch": BATCH,
            "updates_per_s": round(pushed),
            "raw_updates_per_s": round(raw),
            "vs_raw": round(pushed / raw, 3),
        },
        "delivery_event_bytes": {
            "update": round(statistics.mean(len(u) for _, u in events), 1),
            "push_request_one_item": round(statistics.mean(wire), 1),
        },
    }


def main() -> None:
    """Command-line entry point."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="1,000 documents (default 10,000)")
    parser.add_argument("--json", action="store_true", help="print one JSON object")
    args = parser.parse_args()
    result = asyncio.run(run(1000 if args.quick else 10_000))
    print(json.dumps(result, indent=None if args.json else 2))


if __name__ == "__main__":
    main()
