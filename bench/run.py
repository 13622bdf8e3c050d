"""``parcelsync bench``: every benchmark, one table, each figure beside its baseline.

Benchmarks (each measures its own baseline in the same run):

- ``bench.sync``: updates/s through ``SyncServer.push`` on SQLite vs raw
  sqlite3 ``executemany`` + ``merge_updates``; bytes per delivery-event update.
- ``bench.server_ingest``: validated updates/s over HTTP batch push vs the same
  raw baseline; idle resync cost at growing scope sizes (flat = good; the
  smallest scope is the baseline).
- ``bench.ingest_floor``: the least a validated ingest must do, in process,
  vs the same raw baseline (what issue 3's "within 5x of raw" stands on).
- ``bench.edge_bootstrap``: handheld and depot bootstrap over loopback HTTP;
  bytes pushed per delivery.
- ``bench.wire_bytes``: bytes pushed per COD collection and per return grading
  (the bare Yjs updates are the baseline).
- ``bench.peer``: a fresh client syncing 1,000 shipment documents through
  parcelsync vs through pycrdt-websocket, one room per document (the peer is
  the baseline), and a bare batched msgpack pull of the same pages.
- ``bench.memory``: central's resident memory as it grows to 100,000 synced
  documents (the first stage is the baseline; flat = good).
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Callable
from typing import Any

from . import edge_bootstrap, ingest_floor, memory, peer, server_ingest, sync, wire_bytes

# (benchmark, figure, value, unit, baseline value or None)
Row = tuple[str, str, float, str, float | None]

QUICK: dict[str, Any] = {
    "sync": 1000,
    "ingest": (1000, [100, 1000]),
    "floor": 1000,
    "bootstrap": (2000, 150),
    "peer": (200, 50, 1),
    "memory": [500, 2000],
}
FULL: dict[str, Any] = {
    "sync": 10_000,
    "ingest": (10_000, [100, 10_000, 100_000]),
    "floor": 5000,
    "bootstrap": (20_000, 150),
    "peer": (1000, 50, 3),
    "memory": [10_000, 50_000, 100_000],
}


async def run_all(quick: bool, echo: Callable[[str], None]) -> dict[str, Any]:
    """Run every benchmark; returns their raw results, the table rows and timings."""
    logging.getLogger("httpx").setLevel(logging.WARNING)
    sizes = QUICK if quick else FULL
    results: dict[str, Any] = {}
    timings: dict[str, float] = {}
    steps: list[tuple[str, Callable[[], Any]]] = [
        ("sync", lambda: sync.run(sizes["sync"])),
        ("server_ingest", lambda: server_ingest.run(*sizes["ingest"])),
        ("ingest_floor", lambda: asyncio.to_thread(ingest_floor.run, sizes["floor"])),
        ("edge_bootstrap", lambda: edge_bootstrap.main(*sizes["bootstrap"])),
        ("wire_bytes", wire_bytes.run),
        ("peer", lambda: peer.run(*sizes["peer"])),
        ("memory", lambda: memory.run(sizes["memory"])),
    ]
    for name, start in steps:
        echo(f"running {name} ...")
        t0 = time.perf_counter()
        results[name] = await start()
        timings[name] = round(time.perf_counter() - t0, 2)
    return {"quick": quick, "results": results, "table": rows(results), "timings_s": timings}


def rows(results: dict[str, Any]) -> list[Row]:
    """The table: one figure per row with the baseline measured beside it."""
    update = results["sync"]["delivery_event_bytes"]["update"]
    return [
        *_sync_rows(results["sync"]),
        *_ingest_rows(results["server_ingest"]),
        (
            "ingest_floor",
            "validated ingest floor, in process",
            results["ingest_floor"]["floor_updates_per_s"],
            "updates/s",
            results["ingest_floor"]["raw_updates_per_s"],
        ),
        *_bootstrap_rows(results["edge_bootstrap"], update),
        *_wire_rows(results["wire_bytes"]),
        *_peer_rows(results["peer"]),
        *_memory_rows(results["memory"]),
    ]


def _sync_rows(s: dict[str, Any]) -> list[Row]:
    push, update = s["push"], s["delivery_event_bytes"]["update"]
    one_item = s["delivery_event_bytes"]["push_request_one_item"]
    return [
        (
            "sync",
            "SyncServer.push on SQLite",
            push["updates_per_s"],
            "updates/s",
            push["raw_updates_per_s"],
        ),
        ("sync", "delivery-event Yjs update", update, "B", None),
        ("sync", "delivery event, 1-item push", one_item, "B", update),
    ]


def _ingest_rows(i: dict[str, Any]) -> list[Row]:
    ingest, single, resync = i["ingest"], i["single_pushes"], i["idle_resync"]
    table: list[Row] = [
        (
            "server_ingest",
            "validated HTTP push",
            ingest["validated_updates_per_s"],
            "updates/s",
            ingest["raw_updates_per_s"],
        ),
        (
            "server_ingest",
            "validated single-update pushes",
            single["validated_updates_per_s"],
            "updates/s",
            single["raw_updates_per_s"],
        ),
    ]
    for row in resync:
        figure = f"idle resync, {row['documents']:,} docs"
        table.append(("server_ingest", figure, row["median_ms"], "ms", resync[0]["median_ms"]))
    return table


def _bootstrap_rows(b: dict[str, Any], update: float) -> list[Row]:
    hh, depot = b["handheld_bootstrap"], b["depot_bootstrap"]
    per_event = b["delivery_event_push"]["per_event_in_batch_of_50"]
    return [
        ("edge_bootstrap", f"handheld bootstrap, {hh['stops']} stops", _seconds(hh), "s", None),
        (
            "edge_bootstrap",
            f"depot bootstrap, {depot.get('documents', '?'):,} docs",
            _seconds(depot),
            "s",
            None,
        ),
        ("edge_bootstrap", "delivery on the wire, batch of 50", per_event, "B", update),
    ]


def _wire_rows(w: dict[str, Any]) -> list[Row]:
    table: list[Row] = []
    for key, name in (("cod_collection", "COD collection"), ("return_grading", "return grading")):
        r = w[key]
        table.append(
            (
                "wire_bytes",
                f"{name}, 1-action push",
                r["single_push_bytes"],
                "B",
                r["single_update_bytes"],
            )
        )
        table.append(
            (
                "wire_bytes",
                f"{name}, batch of 50",
                r["per_action_in_batch_of_50"],
                "B",
                r["update_bytes_per_action"],
            )
        )
    return table


def _peer_rows(p: dict[str, Any]) -> list[Row]:
    ours, theirs, docs = p["parcelsync"], p["pycrdt_websocket"], p["documents"]
    return [
        ("peer", f"{docs:,} docs, pycrdt-websocket rooms", theirs["seconds"], "s", None),
        ("peer", f"{docs:,} docs, parcelsync", ours["seconds"], "s", theirs["seconds"]),
        ("peer", f"{docs:,} docs, parcelsync bytes", ours["bytes"], "B", theirs["bytes"]),
        ("peer", f"{docs:,} docs, bare batched pull", p["bare_pull"]["seconds"], "s", None),
    ]


def _memory_rows(m: dict[str, Any]) -> list[Row]:
    first = m["stages"][0]["rss_kib"] / 1024
    table: list[Row] = [("memory", "central RSS, idle", m["idle"]["rss_kib"] / 1024, "MiB", None)]
    for stage in m["stages"]:
        figure = f"central RSS, {stage['documents']:,} docs"
        table.append(("memory", figure, stage["rss_kib"] / 1024, "MiB", first))
    return table


def _seconds(result: dict[str, Any]) -> float:
    return float(result.get("seconds", result.get("s", 0.0)))


def render(table: list[Row]) -> str:
    """A plain-text table: benchmark, figure, value, baseline and ratio."""
    lines = [f"{'benchmark':<15} {'figure':<34} {'value':>14} {'baseline':>12} {'ratio':>7}"]
    for bench, figure, value, unit, base in table:
        ratio = f"{value / base:.3f}" if base else "-"
        shown = f"{value:,.4g} {unit}" if value < 100 else f"{value:,.0f} {unit}"
        base_text = "-" if base is None else f"{base:,.4g}" if base < 100 else f"{base:,.0f}"
        lines.append(f"{bench:<15} {figure:<34} {shown:>14} {base_text:>12} {ratio:>7}")
    return "\n".join(lines)
