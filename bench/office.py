"""Office dashboard refresh: ``python -m bench.office [--db PATH] [--json]``.

Without ``--db`` it first runs ``parcelsync simulate`` (2 depots x 4 couriers,
30 stops, 2 days) into a temporary directory and uses its central file.
Measured in the same run:

* baseline - reading every event row (``SELECT * FROM p_events``) raw;
* cold refresh - a new :class:`OfficeService` reading every document and
  reconciling (what happens once after each write);
* warm overview / table - the same service again (the cached reconciliation);
* after one write - a merchant creates one shipment (on a copy of the file),
  then the warm service refreshes incrementally (re-folds that document
  only) versus a new service rebuilding everything, as before incremental
  refresh.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

from protocol.commands import DocCommand
from protocol.events import ShipmentCreated
from protocol.hlc import HybridClock
from protocol.ids import new_id
from server.office.service import OfficeService
from server.store import CentralStore
from sync import commit_commands


async def _median(work: Callable[[], Awaitable[Any]], runs: int = 5) -> float:
    times = []
    for _ in range(runs):
        start = time.perf_counter()
        await work()
        times.append(time.perf_counter() - start)
    return statistics.median(times)


async def _write_one(store: CentralStore, n: int) -> None:
    """One new shipment, as a merchant's create command would write it."""
    hlc = HybridClock("bench", lambda: time.time_ns() // 1_000_000).now().encode()
    event = ShipmentCreated(id=new_id(), hlc=hlc, device="bench", actor="bench")
    info = {"merchant_id": "M-bench", "tracking_number": f"BENCH{n}", "currency": "EUR"}
    command = DocCommand.build("create", "shipment", [event], info=info)
    await commit_commands(store, [(new_id(), command)], device_id="bench", queue=False)


async def _after_writes(store: CentralStore, runs: int = 5) -> tuple[float, float]:
    """Median seconds to refresh after one write: incremental, and full rebuild."""
    warm = OfficeService(store)
    await warm.overview()
    incremental, full = [], []
    for n in range(runs):
        await _write_one(store, n)
        start = time.perf_counter()
        await warm.overview()
        incremental.append(time.perf_counter() - start)
        start = time.perf_counter()
        await OfficeService(store).overview()
        full.append(time.perf_counter() - start)
    return statistics.median(incremental), statistics.median(full)


def _copy(db: Path, directory: Path) -> Path:
    target = directory / "office-bench.db"
    with sqlite3.connect(db) as source, sqlite3.connect(target) as copy:
        source.backup(copy)
    return target


async def measure(db: Path) -> dict[str, Any]:
    """Seconds for the baseline, a cold refresh and warm reads, and their ratios."""
    async with await CentralStore.open(db) as store:
        docs = await store.document_count()
        events = (await store.query("SELECT count(*) FROM p_events"))[0][0]
        baseline = await _median(lambda: store.query("SELECT * FROM p_events"))
        cold = await _median(lambda: OfficeService(store).overview())
        warm = OfficeService(store)
        await warm.overview()
        overview = await _median(warm.overview)
        cod = await _median(lambda: warm.table("cod", {}))
    with tempfile.TemporaryDirectory() as tmp:
        async with await CentralStore.open(_copy(db, Path(tmp))) as store:
            incremental, full = await _after_writes(store)
    return {
        "documents": docs,
        "events": events,
        "baseline_read_events_s": round(baseline, 4),
        "cold_refresh_s": round(cold, 4),
        "cold_vs_baseline": round(cold / baseline, 1),
        "warm_overview_s": round(overview, 4),
        "warm_cod_table_s": round(cod, 4),
        "after_write_incremental_s": round(incremental, 4),
        "after_write_full_rebuild_s": round(full, 4),
        "incremental_vs_full": round(incremental / full, 3),
    }


def _simulated_db(directory: Path) -> Path:
    args = ["--depots", "2", "--couriers", "4", "--stops", "30", "--days", "2"]
    subprocess.run(
        [sys.executable, "-m", "parcelsync_cli", "simulate", *args, "--dir", str(directory)],
        check=True,
        stdout=subprocess.DEVNULL,
    )
    return directory / "central.db"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--db", type=Path, help="a central SQLite file (default: simulate one)")
    parser.add_argument("--json", action="store_true", help="print one JSON object")
    options = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        db = options.db or _simulated_db(Path(tmp))
        result = asyncio.run(measure(db))
    if options.json:
        print(json.dumps(result))
    else:
        for key, value in result.items():
            print(f"{key:24} {value}")


if __name__ == "__main__":
    main()
