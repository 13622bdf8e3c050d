"""Cost of a one-update push as a document grows: ``python -m bench.doc_growth``.

A courier's cash book gains an entry with every COD delivery of the day, and
each entry reaches central as a push of one update. Central validates and
projects only what each push added (running totals, the new rows, the update
stored beside the state), so a push should cost the same all day. This pushes
``--entries`` entries to one book, one per push (``SyncServer.push`` of a
running ``Central``, in process, no HTTP), each collecting a shipment central
holds, and reports per stretch of the day the median push time and its mean
CPU time (which the fsync waits of a shared disk do not blur), beside the raw
baseline of the same blobs (``merge_updates`` into the stored state, one
sqlite3 transaction each), and the last stretch over the first (the goal: at
most 1.5x after 1,000 entries).
"""

from __future__ import annotations

import argparse
import asyncio
import json
import statistics
import tempfile
import time
from pathlib import Path

import msgspec

from protocol.commands import DocCommand
from protocol.events import CashCollected, CollectedPayload
from protocol.ids import courier_book_id, new_id
from protocol.info import CashBookInfo
from protocol.permissions import Device
from protocol.vocab import Role
from protocol.wire import Hello, PushItem, PushRequest
from server.core import OFFICE_BOOTSTRAP_ID, Central
from sync.documents import apply_command

from .server_ingest import BATCH, make_docs, raw_database, store_raw, wall_clock

DAY = "2026-12-01"
COURIER = Device("hh-C1", Role.COURIER, depot_id="D1", courier_id="C1")
OFFICE = Device(OFFICE_BOOTSTRAP_ID, Role.OFFICE)
STRETCH = 20  # pushes per reported median
GOAL = 1.5  # the push after 1,000 entries, over the push to an empty book


def entry_updates(shipments: list[str]) -> list[bytes]:
    """One update per cash entry, each collecting one of ``shipments`` and
    building on the entries before."""
    clock = wall_clock(COURIER.id)
    info = msgspec.to_builtins(CashBookInfo("courier", "C1", DAY, "EUR", "D1", "C1"))
    state: bytes | None = None
    updates = []
    for n, shipment in enumerate(shipments):
        entry = CashCollected(
            id=new_id(),
            hlc=clock.now().encode(),
            device=COURIER.id,
            actor="C1",
            payload=CollectedPayload(1250, "EUR", shipment),
        )
        command = DocCommand.build("collect", "cashbook", [entry], info if n == 0 else None)
        state, update = apply_command(state, command, 7)
        updates.append(update)
    return updates


async def validated_pushes(
    book: str, shipments: list[tuple[str, bytes]], updates: list[bytes]
) -> tuple[list[float], list[float]]:
    """Seconds of each one-update push to a fresh central that holds ``shipments``
    (``(doc_id, creation update)``, the parcels the entries collect): wall time, and
    CPU time of the process (every thread: SQLite's too; not the fsync waits)."""
    times, cpu = [], []
    with tempfile.TemporaryDirectory() as tmp:
        async with Central(Path(tmp) / "central.db") as central:
            await central.store.enroll(COURIER, "bench")
            for i in range(0, len(shipments), BATCH):
                items = [PushItem(d, "shipment", u) for d, u in shipments[i : i + BATCH]]
                answer = await central.sync.push(OFFICE, PushRequest(Hello(OFFICE.id), items))
                if not all(r.accepted for r in answer.results):
                    raise RuntimeError(f"bench shipment refused: {answer.results}")
            for update in updates:
                request = PushRequest(Hello(COURIER.id), [PushItem(book, "cashbook", update)])
                start, start_cpu = time.perf_counter(), time.process_time()
                answer = await central.sync.push(COURIER, request)
                times.append(time.perf_counter() - start)
                cpu.append(time.process_time() - start_cpu)
                if not answer.results[0].accepted:
                    raise RuntimeError(f"bench update refused: {answer.results[0]}")
    return times, cpu


def raw_pushes(book: str, updates: list[bytes]) -> list[float]:
    """Seconds of storing each update raw: merged into the stored state, one durable
    transaction (fsynced, as central's are)."""
    times = []
    with tempfile.TemporaryDirectory() as tmp:
        db = raw_database(Path(tmp) / "raw.db")
        for update in updates:
            start = time.perf_counter()
            store_raw(db, [(book, update)])
            times.append(time.perf_counter() - start)
        db.close()
    return times


def run(entries: int) -> list[dict[str, float]]:
    """Median push time per stretch of ``STRETCH`` entries, validated and raw."""
    book = courier_book_id("C1", DAY)
    shipments = [(d, create) for d, create, _ in make_docs(entries, "C1", 0)]
    updates = entry_updates([d for d, _ in shipments])
    validated, cpu = asyncio.run(validated_pushes(book, shipments, updates))
    raw = raw_pushes(book, updates)
    rows = []
    empty = statistics.median(validated[:STRETCH])
    empty_cpu = statistics.mean(cpu[:STRETCH])
    starts = [*range(0, entries - STRETCH, max(STRETCH, entries // 6)), entries - STRETCH]
    for first in dict.fromkeys(starts):
        v = statistics.median(validated[first : first + STRETCH])
        r = statistics.median(raw[first : first + STRETCH])
        c = statistics.mean(cpu[first : first + STRETCH])
        rows.append(
            {
                "entries_before": first,
                "validated_ms": round(v * 1000, 3),
                "over_empty_book": round(v / empty, 2),
                "cpu_ms": round(c * 1000, 3),
                "cpu_over_empty_book": round(c / empty_cpu, 2),
                "raw_ms": round(r * 1000, 3),
                "raw_over_validated": round(v / r, 1),
            }
        )
    return rows


def main() -> None:
    """Command-line entry point."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--entries", type=int, default=300, help="entries pushed to the book")
    parser.add_argument("--json", action="store_true", help="print one JSON object")
    args = parser.parse_args()
    if args.entries < STRETCH:
        parser.error(f"--entries must be at least {STRETCH}")
    rows = run(args.entries)
    last = rows[-1]
    goal = {
        "entries_before": last["entries_before"],
        "wall_ratio": last["over_empty_book"],
        "cpu_ratio": last["cpu_over_empty_book"],
        "goal": GOAL,
    }
    if args.json:
        print(json.dumps({"entries": args.entries, "stretches": rows, "last_over_empty": goal}))
        return
    for row in rows:
        print(
            f"after {row['entries_before']:>4} entries: push {row['validated_ms']:6.2f} ms "
            f"({row['over_empty_book']}x the empty book; CPU {row['cpu_ms']:5.2f} ms, "
            f"{row['cpu_over_empty_book']}x), raw {row['raw_ms']:6.3f} ms "
            f"(validated/raw {row['raw_over_validated']}x)"
        )
    print(
        f"push after {goal['entries_before']} entries / push to the empty book: "
        f"{goal['wall_ratio']}x wall, {goal['cpu_ratio']}x CPU (goal <= {GOAL}x)"
    )


if __name__ == "__main__":
    main()
