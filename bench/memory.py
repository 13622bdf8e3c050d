"""Central's memory while documents pile up: ``python -m bench.memory [--quick] [--json]``.

A real central process (``server.serve`` on SQLite) is seeded in stages
through the validated HTTP push (head office creating shipments), and after
each stage a depot replica syncs everything to itself over HTTP. The server
process's resident set (``VmRSS`` in ``/proc/PID/status``) is read when it
is idle after start, then after each stage. Flat = central does not keep
closed documents in memory; a loaded pycrdt ``Doc`` costs 15-20 KB, so
holding 100,000 of them would add 1.5-2 GB.
"""

from __future__ import annotations

import argparse
import asyncio
import itertools
import json
import logging
import tempfile
from pathlib import Path
from typing import Any

from sync.http_transport import HttpChannel

from .peer import parcelsync_fetch
from .server_ingest import TOKEN, _enrol, _start, make_docs, push_all

OFFICE = "office-bootstrap"
DEPOT_DEVICE = "memory-depot"
CHUNK = 2000


def rss_kib(pid: int) -> dict[str, int]:
    """Current and peak resident set of process ``pid`` in KiB (Linux ``/proc``)."""
    fields = {}
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        key, _, value = line.partition(":")
        if key in ("VmRSS", "VmHWM"):
            fields[key] = int(value.split()[0])
    return {"rss_kib": fields["VmRSS"], "peak_kib": fields["VmHWM"]}


async def seed(url: str, count: int, serial0: int) -> None:
    """Head office pushes ``count`` new shipments of depot D1, ``CHUNK`` at a time."""
    docs = make_docs(count, "C-memory", serial0)
    async with HttpChannel(url, TOKEN) as office:
        while chunk := [(d, c) for d, c, _ in itertools.islice(docs, CHUNK)]:
            await push_all(office, OFFICE, chunk)


async def run(stages: list[int]) -> dict[str, Any]:
    """Grow central to each size in ``stages``, sync a depot, read the server's RSS."""
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        central, url = _start(root / "central.db")
        try:
            idle = rss_kib(central.pid)
            token = _enrol(url, role="depot", device_id=DEPOT_DEVICE, depot_id="D1")
            rows, held = [], 0
            for size in stages:
                await seed(url, size - held, held)
                held = size
                synced = await parcelsync_fetch(url, token, root / "depot.db", DEPOT_DEVICE)
                if len(synced["tracking"]) != size:
                    raise RuntimeError(f"depot holds {len(synced['tracking'])} of {size} docs")
                rows.append({"documents": size, **rss_kib(central.pid)})
        finally:
            central.terminate()
            central.wait(10)
    return _result(idle, rows)


def _result(idle: dict[str, int], rows: list[dict[str, int]]) -> dict[str, Any]:
    first, last = rows[0], rows[-1]
    added = last["documents"] - first["documents"]
    return {
        "idle": idle,
        "stages": rows,
        "growth_over_first_stage": round(last["rss_kib"] / first["rss_kib"], 3),
        "bytes_per_added_document": round((last["rss_kib"] - first["rss_kib"]) * 1024 / added, 1),
    }


def main() -> None:
    """Command-line entry point."""
    logging.getLogger("httpx").setLevel(logging.WARNING)
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="500 / 2,000 documents")
    parser.add_argument("--json", action="store_true", help="print one JSON object")
    args = parser.parse_args()
    stages = [500, 2000] if args.quick else [10_000, 50_000, 100_000]
    result = asyncio.run(run(stages))
    print(json.dumps(result, indent=None if args.json else 2))


if __name__ == "__main__":
    main()
