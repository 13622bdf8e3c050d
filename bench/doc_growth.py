"""Cost of a one-update push as a document grows: ``python -m bench.doc_growth``.

A courier's cash book gains an entry with every COD delivery of the day, and
each entry reaches central as a push of one update. Central validates it
against the whole document and projects the whole document again, so a push
costs more the longer the book is. This pushes ``--entries`` entries to one
book, one per push (``SyncServer.push`` of a running ``Central``, in process, no
HTTP), and reports the median push time per stretch of the day, beside the raw
baseline of the same blobs (``merge_updates`` into the stored state, one
sqlite3 transaction each) at the same length.
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
from server.core import Central
from sync.documents import apply_command

from .server_ingest import raw_database, store_raw, wall_clock

DAY = "2026-12-01"
COURIER = Device("hh-C1", Role.COURIER, depot_id="D1", courier_id="C1")
STRETCH = 20  # pushes per reported median


def entry_updates(count: int) -> list[bytes]:
    """One update per cash entry, each building on the ones before."""
    clock = wall_clock(COURIER.id)
    info = msgspec.to_builtins(CashBookInfo("courier", "C1", DAY, "EUR", "D1", "C1"))
    state: bytes | None = None
    updates = []
    for n in range(count):
        entry = CashCollected(
            id=new_id(),
            hlc=clock.now().encode(),
            device=COURIER.id,
            actor="C1",
            payload=CollectedPayload(1250, "EUR", new_id()),
        )
        command = DocCommand.build("collect", "cashbook", [entry], info if n == 0 else None)
        state, update = apply_command(state, command, 7)
        updates.append(update)
    return updates


async def validated_pushes(book: str, updates: list[bytes]) -> list[float]:
    """Seconds of each one-update push to a fresh central."""
    times = []
    with tempfile.TemporaryDirectory() as tmp:
        async with Central(Path(tmp) / "central.db") as central:
            await central.store.enroll(COURIER, "bench")
            for update in updates:
                request = PushRequest(Hello(COURIER.id), [PushItem(book, "cashbook", update)])
                start = time.perf_counter()
                answer = await central.sync.push(COURIER, request)
                times.append(time.perf_counter() - start)
                if not answer.results[0].accepted:
                    raise RuntimeError(f"bench update refused: {answer.results[0]}")
    return times


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
    updates = entry_updates(entries)
    validated = asyncio.run(validated_pushes(book, updates))
    raw = raw_pushes(book, updates)
    rows = []
    empty = statistics.median(validated[:STRETCH])
    starts = [*range(0, entries - STRETCH, max(STRETCH, entries // 6)), entries - STRETCH]
    for first in dict.fromkeys(starts):
        v = statistics.median(validated[first : first + STRETCH])
        r = statistics.median(raw[first : first + STRETCH])
        rows.append(
            {
                "entries_before": first,
                "validated_ms": round(v * 1000, 3),
                "over_empty_book": round(v / empty, 2),
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
    if args.json:
        print(json.dumps({"entries": args.entries, "stretches": rows}))
        return
    for row in rows:
        print(
            f"after {row['entries_before']:>4} entries: push {row['validated_ms']:6.2f} ms "
            f"({row['over_empty_book']}x the empty book), raw {row['raw_ms']:6.3f} ms "
            f"(validated/raw {row['raw_over_validated']}x)"
        )


if __name__ == "__main__":
    main()
