"""``parcelsync bench``: every benchmark, one table, each figure beside its baseline.

Benchmarks (each measures its own baseline in the same run):

- ``bench.sync``: updates/s through ``SyncServer.push`` on SQLite vs raw
  sqlite3 ``executemany`` + ``merge_updates``; bytes per delivery-event update.
- ``bench.server_ingest``: validated updates/s over HTTP batch push vs the same
  raw baseline; idle resync cost at growing scope sizes (flat = good; the
  smallest scope is the baseline).
- ``bench.edge_bootstrap``: handheld and depot bootstrap over loopback HTTP;
  bytes pushed per delivery.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from typing import Any

from . import edge_bootstrap, server_ingest, sync

# (benchmark, figure, value, unit, baseline value or None)
Row = tuple[str, str, float, str, float | None]

QUICK = {"sync": 1000, "ingest": (1000, [100, 1000]), "bootstrap": (2000, 150)}
FULL = {"sync": 10_000, "ingest": (10_000, [100, 10_000, 100_000]), "bootstrap": (20_000, 150)}


async def run_all(quick: bool, echo: Callable[[str], None]) -> dict[str, Any]:
    """Run every benchmark; returns their raw results, the table rows and timings."""
    logging.getLogger("httpx").setLevel(logging.WARNING)
    sizes = QUICK if quick else FULL
    results: dict[str, Any] = {}
    timings: dict[str, float] = {}
    steps: list[tuple[str, Callable[[], Any]]] = [
        ("sync", lambda: sync.run(sizes["sync"])),
        ("server_ingest", lambda: server_ingest.run(*sizes["ingest"])),
        ("edge_bootstrap", lambda: edge_bootstrap.main(*sizes["bootstrap"])),
    ]
    for name, start in steps:
        echo(f"running {name} ...")
        t0 = time.perf_counter()
        results[name] = await start()
        timings[name] = round(time.perf_counter() - t0, 2)
    return {"quick": quick, "results": results, "table": rows(results), "timings_s": timings}


def rows(results: dict[str, Any]) -> list[Row]:
    """The table: one figure per row with the baseline measured beside it."""
    s, i, b = results["sync"], results["server_ingest"], results["edge_bootstrap"]
    push, ingest = s["push"], i["ingest"]
    update = s["delivery_event_bytes"]["update"]
    table: list[Row] = [
        (
            "sync",
            "SyncServer.push on SQLite",
            push["updates_per_s"],
            "updates/s",
            push["raw_updates_per_s"],
        ),
        ("sync", "delivery-event Yjs update", update, "B", None),
        (
            "sync",
            "delivery event, 1-item push",
            s["delivery_event_bytes"]["push_request_one_item"],
            "B",
            update,
        ),
        (
            "server_ingest",
            "validated HTTP push",
            ingest["validated_updates_per_s"],
            "updates/s",
            ingest["raw_updates_per_s"],
        ),
    ]
    resync = i["idle_resync"]
    for row in resync:
        table.append(
            (
                "server_ingest",
                f"idle resync, {row['documents']} docs",
                row["median_ms"],
                "ms",
                resync[0]["median_ms"],
            )
        )
    hh, depot = b["handheld_bootstrap"], b["depot_bootstrap"]
    table.append(
        ("edge_bootstrap", f"handheld bootstrap, {hh['stops']} stops", _seconds(hh), "s", None)
    )
    table.append(
        (
            "edge_bootstrap",
            f"depot bootstrap, {depot.get('documents', '?')} docs",
            _seconds(depot),
            "s",
            None,
        )
    )
    per_event = b["delivery_event_push"]["per_event_in_batch_of_50"]
    table.append(("edge_bootstrap", "delivery on the wire, batch of 50", per_event, "B", update))
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
