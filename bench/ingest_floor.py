"""The least a validated ingest must do, in Python: ``python -m bench.ingest_floor``.

Issue 3 asks central to ingest validated updates within 5x of raw storage. This
measures the floor under that pipeline: the steps no validated ingest can skip,
with the project's own parts, written as tightly as a benchmark can and without
anything else central does (HTTP, the document cache, rebasing on concurrent
writes, scope moves, the outbox, stale projection rows, webhooks). The same
updates as ``bench.server_ingest`` (a creation, then one courier event, per
shipment) go through, stage by stage over each batch of 200:

- crdt: apply the update to the loaded native document, check nothing is
  missing, encode the new state and its vector;
- read: read both roots as plain data, find the new events, decode them typed;
- rules: the role check on the change;
- project: the projection rows (the fold included);
- sqlite: the log, document and projection rows, one transaction per batch.

Beside it, in the same run, the raw baseline of ``bench.server_ingest``. If the
floor alone is near 5x raw, the full pipeline cannot be within it.
"""

from __future__ import annotations

import argparse
import json
import sqlite3
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

from protocol.permissions import Change, Device, check_change
from protocol.vocab import DocType, Role
from sync._ydoc import NativeDoc
from sync.documents import Content
from sync.projection import Projection, project
from sync.schema import MIGRATIONS
from sync.store import _replace, _rows_of

from .server_ingest import BATCH, make_docs, raw_baseline, wal_database

OFFICE = Device("office-bootstrap", Role.OFFICE)
COURIER = Device("hh-C-ingest", Role.COURIER, depot_id="D1", courier_id="C-ingest")
STAGES = ("crdt", "read", "rules", "project", "sqlite")
SHIPMENT = DocType.SHIPMENT


class Loaded:
    """One shipment as the floor holds it: the native document, its content, the
    update in flight, and what the stages make of it."""

    __slots__ = ("change", "content", "doc", "doc_id", "rows", "state", "update", "vector")

    def __init__(self, doc_id: str, update: bytes, doc: NativeDoc, content: Content):
        self.doc_id, self.update, self.doc, self.content = doc_id, update, doc, content
        self.change: Change | None = None
        self.rows: Projection | None = None
        self.state = self.vector = b""


def _crdt(item: Loaded, writer: Device) -> None:
    roots, whole, _ = item.doc.integrate(item.update)
    assert whole and roots <= {"info", "events"}
    item.state, item.vector = item.doc.encode()


def _read(item: Loaded, writer: Device) -> None:
    before = item.content
    info, events = item.doc.read()
    assert events[: len(before.events)] == before.events, "an event was edited"
    added = Content(info, events[len(before.events) :])
    typed_info = before.typed_info(SHIPMENT) if info == before.info else added.typed_info(SHIPMENT)
    new = added.typed_events(SHIPMENT)
    item.content = before.evolved(info, typed_info, events, new)
    created = not before.info
    item.change = Change(SHIPMENT, created, before.info, info, tuple(new), None)


def _rules(item: Loaded, writer: Device) -> None:
    assert item.change is not None
    refusal = check_change(writer, item.change)
    assert refusal is None, refusal


def _project(item: Loaded, writer: Device) -> None:
    item.rows = project(item.doc_id, SHIPMENT, item.content)


PER_ITEM: tuple[tuple[str, Callable[[Loaded, Device], None]], ...] = (
    ("crdt", _crdt),
    ("read", _read),
    ("rules", _rules),
    ("project", _project),
)


def _store(db: sqlite3.Connection, items: list[Loaded], writer: Device) -> None:
    projections = [i.rows for i in items if i.rows is not None]
    scope = ("D1", "C-ingest", "M1")
    db.execute("BEGIN")
    db.executemany(
        "INSERT INTO update_log (doc_id, doc_type, kind, depot_id, courier_id, merchant_id, "
        "update_blob, origin_device, received_at) VALUES (?,?,'update',?,?,?,?,?,0)",
        [(i.doc_id, SHIPMENT.value, *scope, i.update, writer.id) for i in items],
    )
    db.executemany(
        "INSERT OR REPLACE INTO documents VALUES (?,?,?,?,?,?,?,0)",
        [(i.doc_id, SHIPMENT.value, *scope, i.state, i.vector) for i in items],
    )
    for table in ("p_shipments", "p_events"):
        db.executemany(*_replace(table, _rows_of(projections, table)))
    db.execute("COMMIT")


def _ingest(
    db: sqlite3.Connection, items: list[Loaded], writer: Device, spent: dict[str, float]
) -> None:
    for start in range(0, len(items), BATCH):
        batch = items[start : start + BATCH]
        for stage, work in PER_ITEM:
            began = time.perf_counter()
            for item in batch:
                work(item, writer)
            spent[stage] += time.perf_counter() - began
        began = time.perf_counter()
        _store(db, batch, writer)
        spent["sqlite"] += time.perf_counter() - began


def run(count: int) -> dict[str, object]:
    """Creations then events of ``count`` shipments through the floor, beside raw."""
    docs = list(make_docs(count, "C-ingest", 0))
    spent = dict.fromkeys(STAGES, 0.0)
    with tempfile.TemporaryDirectory() as tmp:
        db = wal_database(Path(tmp) / "floor.db")
        for migration in MIGRATIONS:
            db.executescript(migration)
        empty = Content({}, [], None, [])
        created = [Loaded(d, c, NativeDoc(), empty) for d, c, _ in docs]
        _ingest(db, created, OFFICE, spent)
        events = [
            Loaded(d, e, loaded.doc, loaded.content)
            for (d, _, e), loaded in zip(docs, created, strict=True)
        ]
        _ingest(db, events, COURIER, spent)
        db.close()
    raw_s = sum(raw_baseline([(d, c) for d, c, _ in docs], [(d, e) for d, _, e in docs]))
    floor_s = sum(spent.values())
    updates = 2 * count
    return {
        "updates": updates,
        "floor_updates_per_s": round(updates / floor_s),
        "raw_updates_per_s": round(updates / raw_s),
        "floor_over_raw": round(floor_s / raw_s, 2),
        "us_per_update": {k: round(v / updates * 1e6, 1) for k, v in spent.items()},
        "raw_us_per_update": round(raw_s / updates * 1e6, 1),
    }


def main() -> None:
    """Command-line entry point."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--shipments", type=int, default=5000, help="shipments (2 updates each)")
    parser.add_argument("--json", action="store_true", help="print one JSON object")
    args = parser.parse_args()
    result = run(args.shipments)
    if args.json:
        print(json.dumps(result))
        return
    print(
        f"floor: {result['floor_updates_per_s']} updates/s, raw {result['raw_updates_per_s']}/s "
        f"(floor/raw {result['floor_over_raw']}x)"
    )
    stages: dict[str, float] = result["us_per_update"]  # type: ignore[assignment]
    print("  µs per update: " + ", ".join(f"{k} {v}" for k, v in stages.items()))
    print(f"  raw: {result['raw_us_per_update']} µs per update")


if __name__ == "__main__":
    main()
