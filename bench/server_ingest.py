"""Central ingest and idle-resync: ``python -m bench.server_ingest [--quick] [--json] [--stores]``.

1. Validated updates/s over HTTP batch push (batches of 200, one client, one
   uvicorn worker): shipment creations pushed by an office device, then one
   courier event per shipment pushed by the courier's handheld. Beside it, in
   the same run, the raw baseline: the same update blobs stored with sqlite3
   ``executemany`` + ``pycrdt.merge_updates``, no validation, no HTTP.
2. Single-update pushes, as handhelds make them after each delivery: courier
   events pushed one per request by 1, 4, 16 and 64 handhelds at once (each
   its own courier and connection) while a depot listens on ``/sync/live``;
   updates/s against the batched courier events of (1), p50 and p99 latency.
   Beside it the raw baseline storing the same blobs one transaction each.
Every figure is durable: the server and the raw baseline fsync each commit.
3. Idle resync: a courier holding N documents asks "anything new?" at its
   cursor; request and answer bytes and round-trip time, at each N.
``--stores sqlite,pg1,pg2`` runs it all against central on a SQLite file, then on
PostgreSQL (``--pg URL``, default ``$PARCELSYNC_TEST_PG``) with 1 and with 2 workers.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import os
import socket
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import msgspec
from pycrdt import merge_updates

from protocol.commands import DocCommand
from protocol.events import OutForDelivery, ShipmentCreated
from protocol.hlc import HybridClock
from protocol.ids import make_tracking_number, new_id
from protocol.info import ShipmentInfo
from protocol.wire import (
    Hello,
    PullRequest,
    PushItem,
    PushRequest,
    PushResponse,
    msgpack_encoder,
)
from simulation.central_process import wait_answering
from sync._records import now_ms
from sync.documents import apply_command
from sync.http_transport import HttpChannel
from sync.live_client import listen_live

from .lean_http import LeanPoster

TOKEN = "bench-office-token-0123456789"
push_answer = msgspec.msgpack.Decoder(PushResponse)
BATCH = 200
CLIENTS = (1, 4, 16, 64)  # handhelds pushing single updates at once, one level after another


def _port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _start(
    db: Path | str, runner: str = "uvicorn", workers: int = 1, secret: Path | None = None
) -> tuple[subprocess.Popen[bytes], str]:
    """Central on a free port, served by ``runner`` (``workers`` processes on a
    PostgreSQL ``db``); returns the process and its URL."""
    port = _port()
    code = (
        f"from server.run import serve; serve({str(db)!r}, '127.0.0.1', {port}, {TOKEN!r}, "
        f"runner={runner!r}, workers={workers}, secret_file={str(secret) if secret else None!r})"
    )
    root = Path(__file__).resolve().parent.parent
    proc = subprocess.Popen([sys.executable, "-c", code], cwd=root, stdout=subprocess.DEVNULL)
    url = f"http://127.0.0.1:{port}"
    try:
        wait_answering(url, proc, 20)
    except BaseException:
        proc.kill()
        raise
    return proc, url


def _enrol(url: str, **body: str) -> str:
    answer = httpx.post(
        url + "/api/v1/devices", json=body, headers={"authorization": f"Bearer {TOKEN}"}
    )
    answer.raise_for_status()
    return str(answer.json()["token"])


def wall_clock(node: str) -> HybridClock:
    """An HLC of ``node`` on the wall clock."""
    return HybridClock(node, now_ms)


def make_docs(count: int, courier: str, serial0: int) -> Iterator[tuple[str, bytes, bytes]]:
    """``(doc_id, creation update, courier event update)`` per shipment."""
    office, hh = wall_clock("office-bootstrap"), wall_clock(f"hh-{courier}")
    for n in range(count):
        doc_id = new_id()
        info = ShipmentInfo(
            merchant_id="M1",
            tracking_number=make_tracking_number(serial0 + n),
            currency="EUR",
            cod_amount=1250,
            depot_id="D1",
            courier_id=courier,
        )
        created = ShipmentCreated(
            id=new_id(), hlc=office.now().encode(), device="office-bootstrap", actor="bench"
        )
        command = DocCommand.build("create", "shipment", [created], msgspec.to_builtins(info))
        state, create_update = apply_command(None, command, 1)
        event = OutForDelivery(
            id=new_id(),
            hlc=hh.now().encode(),
            device=f"hh-{courier}",
            actor=courier,
            payload=OutForDelivery.Body(courier_id=courier),
        )
        _, event_update = apply_command(state, DocCommand.build("out", "shipment", [event]), 2)
        yield doc_id, create_update, event_update


async def push_all(
    channel: HttpChannel, device: str, items: list[tuple[str, bytes]], batch_size: int = BATCH
) -> float:
    """Push ``items`` in batches; returns seconds. Every item must be accepted."""
    start = time.perf_counter()
    for i in range(0, len(items), batch_size):
        batch = [PushItem(d, "shipment", u) for d, u in items[i : i + batch_size]]
        answer = await channel.push(PushRequest(Hello(device), batch))
        refused = [r for r in answer.results if not r.accepted]
        if refused:
            raise RuntimeError(f"bench update refused: {refused[0]}")
    return time.perf_counter() - start


def wal_database(path: str | Path) -> sqlite3.Connection:
    """An autocommit connection to ``path`` in WAL mode, synchronous=FULL (each
    commit fsynced), as the replica stores run."""
    db = sqlite3.connect(path, isolation_level=None)
    db.execute("PRAGMA journal_mode=WAL")
    db.execute("PRAGMA synchronous=FULL")
    return db


def raw_database(path: str | Path) -> sqlite3.Connection:
    """The raw baseline's store: documents and a log, WAL, no indexes, no checks."""
    db = wal_database(path)
    db.execute("CREATE TABLE docs (doc_id TEXT PRIMARY KEY, state BLOB)")
    db.execute("CREATE TABLE log (seq INTEGER PRIMARY KEY, doc_id TEXT, blob BLOB)")
    return db


def store_raw(db: sqlite3.Connection, batch: list[tuple[str, bytes]]) -> None:
    """``(doc_id, update)`` pairs merged into the stored states and logged, in one
    transaction: the raw baseline's whole work, no validation."""
    marks = ",".join("?" * len(batch))
    rows = db.execute(
        f"SELECT doc_id, state FROM docs WHERE doc_id IN ({marks})", [d for d, _ in batch]
    ).fetchall()
    states = dict(rows)
    merged = [
        (d, merge_updates(states[d], u) if d in states else merge_updates(u)) for d, u in batch
    ]
    db.execute("BEGIN")
    db.executemany("INSERT INTO log (doc_id, blob) VALUES (?, ?)", batch)
    db.executemany("INSERT OR REPLACE INTO docs VALUES (?, ?)", merged)
    db.execute("COMMIT")


def raw_baseline(
    creates: list[tuple[str, bytes]], events: list[tuple[str, bytes]], event_batch: int = BATCH
) -> tuple[float, float]:
    """The same blobs stored with sqlite3 executemany + merge_updates, creations in
    batches of ``BATCH`` and events of ``event_batch``; returns the seconds of each."""
    seconds = []
    with tempfile.TemporaryDirectory() as tmp:
        db = raw_database(Path(tmp) / "raw.db")
        for items, size in ((creates, BATCH), (events, event_batch)):
            start = time.perf_counter()
            for i in range(0, len(items), size):
                store_raw(db, items[i : i + size])
            seconds.append(time.perf_counter() - start)
        db.close()
    return seconds[0], seconds[1]


def percentile(values: list[float], share: float) -> float:
    """The value below which ``share`` of ``values`` lie (nearest rank)."""
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, max(0, round(share * len(ordered)) - 1))]


async def _timed_single_pushes(
    poster: LeanPoster, device: str, items: list[tuple[str, bytes]], latencies: list[float]
) -> None:
    """``items`` one per request, the next once the last is answered; each
    round trip's seconds appended to ``latencies``."""
    bodies = [
        msgpack_encoder.encode(PushRequest(Hello(device), [PushItem(doc_id, "shipment", update)]))
        for doc_id, update in items
    ]
    for body in bodies:
        start = time.perf_counter()
        answer = push_answer.decode(await poster.post(body))
        latencies.append(time.perf_counter() - start)
        if not answer.results[0].accepted:
            raise RuntimeError(f"bench update refused: {answer.results[0]}")


async def _clients_at_once(
    url: str, office: HttpChannel, clients: int, count: int, serial0: int
) -> dict[str, float]:
    """``count`` courier events pushed one per request by ``clients`` handhelds at
    once, each its own courier on its own connection (their shipments created in
    batches first, untimed). The pushers are :class:`.lean_http.LeanPoster`s,
    so that the bench's own CPU (on the server's 2 cores) stays small."""
    per = count // clients
    host, port = url.removeprefix("http://").split(":")
    work = []
    for n in range(clients):
        courier = f"C-{clients}-{n}"
        docs = list(make_docs(per, courier, serial0 + n * per))
        await push_all(office, "office-bootstrap", [(d, c) for d, c, _ in docs])
        token = _enrol(
            url, role="courier", device_id=f"hh-{courier}", depot_id="D1", courier_id=courier
        )
        poster = LeanPoster(host, int(port), "/sync/push", token)
        work.append((poster, f"hh-{courier}", [(d, e) for d, _, e in docs]))
    latencies: list[float] = []
    async with contextlib.AsyncExitStack() as stack:
        for poster, _, _ in work:
            await stack.enter_async_context(poster)
        start = time.perf_counter()
        await asyncio.gather(
            *(_timed_single_pushes(p, d, items, latencies) for p, d, items in work)
        )
        seconds = time.perf_counter() - start
    return {
        "clients": clients,
        "updates": len(latencies),
        "updates_per_s": round(len(latencies) / seconds),
        "p50_ms": round(percentile(latencies, 0.5) * 1000, 2),
        "p99_ms": round(percentile(latencies, 0.99) * 1000, 2),
    }


async def _single_pushes(
    url: str, office: HttpChannel, count: int, serial0: int, batched_per_s: float
) -> dict[str, object]:
    """Single-update pushes at each of :data:`CLIENTS` concurrencies while a depot
    listens on ``/sync/live``, against ``batched_per_s`` (the batched validated
    courier events of the same run); the raw baseline stores the same number of
    blobs one durable transaction each."""
    depot_token = _enrol(url, role="depot", device_id="depot-bench", depot_id="D1")
    pokes = 0

    async def poked(_: object) -> None:
        nonlocal pokes
        pokes += 1

    live_url = url.replace("http://", "ws://") + "/sync/live"
    connected = asyncio.Event()
    depot = asyncio.create_task(listen_live(live_url, depot_token, poked, connected=connected))
    try:
        await asyncio.wait_for(connected.wait(), 10)
        levels = []
        for n, clients in enumerate(CLIENTS):
            level = await _clients_at_once(url, office, clients, count, serial0 + n * count)
            level["over_batched"] = round(level["updates_per_s"] / batched_per_s, 2)
            levels.append(level)
    finally:
        depot.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await depot
    docs = list(make_docs(count, "C-raw", serial0 + len(CLIENTS) * count))
    raw_s = raw_baseline([(d, c) for d, c, _ in docs], [(d, e) for d, _, e in docs], 1)[1]
    top = levels[-1]
    return {
        "by_clients": levels,
        "handhelds": top["clients"],
        "validated_updates_per_s": top["updates_per_s"],
        "batched_updates_per_s": round(batched_per_s),
        "raw_updates_per_s": round(count / raw_s),
        "raw_over_validated": round(
            top["updates_per_s"] and (count / raw_s) / top["updates_per_s"], 2
        ),
        "depot_pokes": pokes,
    }


async def idle_resync(url: str, courier: str, token: str, holding: int) -> dict[str, float]:
    """Catch up once, then time the idle "anything new?" round trip."""
    async with HttpChannel(url, token) as channel:
        cursor, after, pages = 0, "", 0
        while True:
            page = await channel.pull(PullRequest(Hello(courier), cursor, [], 2000, [], after))
            cursor, after, pages = page.cursor, page.snapshot_after, pages + 1
            if not page.has_more:
                break
        request = PullRequest(Hello(courier), cursor)
        times, answer_bytes = [], 0
        for _ in range(30):
            before = channel.bytes_received
            start = time.perf_counter()
            answer = await channel.pull(request)
            times.append(time.perf_counter() - start)
            answer_bytes = channel.bytes_received - before
            assert not answer.updates and not answer.entering
    return {
        "documents": holding,
        "request_bytes": len(msgpack_encoder.encode(request)),
        "answer_bytes": answer_bytes,
        "median_ms": round(statistics.median(times) * 1000, 3),
    }


STORES = ("sqlite", "pg1", "pg2")  # a SQLite file; PostgreSQL with 1 and 2 workers


async def run(
    ingest: int, scopes: list[int], pushes: int = 0, store: str = "sqlite", pg: str = ""
) -> dict[str, object]:
    """Run the measurements against a fresh central on ``store`` (see :data:`STORES`;
    ``pg``: the PostgreSQL database, where a fresh schema is made); returns the figures."""
    with tempfile.TemporaryDirectory() as tmp, _database(store, Path(tmp), pg) as db:
        workers = 2 if store == "pg2" else 1
        proc, url = _start(db, workers=workers, secret=Path(tmp) / "secret")
        try:
            return await _measure(url, ingest, scopes, pushes or ingest // 5)
        finally:
            proc.terminate()
            proc.wait(10)


@contextlib.contextmanager
def _database(store: str, tmp: Path, pg: str) -> Iterator[str]:
    """The ``--db`` of a fresh central on ``store``: a new file, or a new schema of
    ``pg`` (dropped afterwards)."""
    if store == "sqlite":
        yield str(tmp / "central.db")
        return
    if not pg:
        raise SystemExit("bench.server_ingest: PostgreSQL stores need --pg URL")
    import psycopg

    schema = f"bench_{os.getpid()}_{store}"
    with psycopg.connect(pg, autocommit=True) as admin:
        admin.execute(f"DROP SCHEMA IF EXISTS {schema} CASCADE; CREATE SCHEMA {schema}".encode())
        try:
            joiner = "&" if "?" in pg else "?"
            yield f"{pg}{joiner}options=-csearch_path%3D{schema}"
        finally:
            admin.execute(f"DROP SCHEMA {schema} CASCADE".encode())


async def _measure(url: str, ingest: int, scopes: list[int], pushes: int) -> dict[str, object]:
    """``pushes``: single-update pushes at each concurrency."""
    pushes = max(pushes, 2 * CLIENTS[-1])
    docs = list(make_docs(ingest, "C-ingest", 0))
    creates = [(d, c) for d, c, _ in docs]
    events = [(d, e) for d, _, e in docs]
    hh_token = _enrol(
        url, role="courier", device_id="hh-C-ingest", depot_id="D1", courier_id="C-ingest"
    )
    async with HttpChannel(url, TOKEN) as office, HttpChannel(url, hh_token) as hh:
        create_s = await push_all(office, "office-bootstrap", creates)
        event_s = await push_all(hh, "hh-C-ingest", events)
        single = await _single_pushes(url, office, pushes, 2 * ingest, ingest / event_s)
    raw_s = sum(raw_baseline(creates, events))
    validated = 2 * ingest / (create_s + event_s)
    raw = 2 * ingest / raw_s
    resync = []
    serial = 2 * ingest + (len(CLIENTS) + 1) * pushes
    for size in scopes:
        courier = f"C-{size}"
        fill = [(d, c) for d, c, _ in make_docs(size, courier, serial)]
        serial += size
        async with HttpChannel(url, TOKEN) as office:
            await push_all(office, "office-bootstrap", fill)
        token = _enrol(
            url, role="courier", device_id=f"hh-{courier}", depot_id="D1", courier_id=courier
        )
        resync.append(await idle_resync(url, f"hh-{courier}", token, size))
    return {
        "ingest": {
            "updates": 2 * ingest,
            "batch": BATCH,
            "validated_updates_per_s": round(validated),
            "create_updates_per_s": round(ingest / create_s),
            "event_updates_per_s": round(ingest / event_s),
            "raw_updates_per_s": round(raw),
            "raw_over_validated": round(raw / validated, 2),
        },
        "single_pushes": single,
        "idle_resync": resync,
        "cpu_count": os.cpu_count(),
    }


def main() -> None:
    """Command-line entry point."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="2,000 updates; scopes 100 / 1,000")
    parser.add_argument("--json", action="store_true", help="print one JSON object")
    parser.add_argument(
        "--pushes", type=int, default=0, help="single-update pushes per concurrency (ingest/5)"
    )
    parser.add_argument(
        "--stores",
        default="sqlite",
        help="comma-separated, run one after another: sqlite, pg1, pg2 (PostgreSQL, 1/2 workers)",
    )
    parser.add_argument(
        "--pg",
        default=os.environ.get("PARCELSYNC_TEST_PG", ""),
        help="PostgreSQL database for pg1/pg2 (default $PARCELSYNC_TEST_PG)",
    )
    args = parser.parse_args()
    stores = [s.strip() for s in args.stores.split(",") if s.strip()]
    if unknown := [s for s in stores if s not in STORES]:
        parser.error(f"--stores: unknown {', '.join(unknown)} (known: {', '.join(STORES)})")
    ingest, scopes = (1000, [100, 1000]) if args.quick else (10_000, [100, 10_000, 100_000])
    results = {s: asyncio.run(run(ingest, scopes, args.pushes, s, args.pg)) for s in stores}
    if args.json:
        print(json.dumps(results[stores[0]] if len(stores) == 1 else results))
        return
    for store, result in results.items():
        if len(stores) > 1:
            print(f"== central on {store}")
        _print(result)


def _print(result: dict[str, object]) -> None:
    ing: dict[str, object] = result["ingest"]  # type: ignore[assignment]
    print(f"validated: {ing['validated_updates_per_s']} updates/s over HTTP (batches of {BATCH})")
    ratio = ing["raw_over_validated"]
    print(f"raw:       {ing['raw_updates_per_s']} updates/s  (raw/validated {ratio}x)")
    one: dict[str, Any] = result["single_pushes"]  # type: ignore[assignment]
    print(f"single-update pushes (batched courier events: {one['batched_updates_per_s']}/s):")
    for level in one["by_clients"]:
        print(
            f"  {level['clients']:>2} clients: {level['updates_per_s']} updates/s "
            f"({level['over_batched']}x batched), p50 {level['p50_ms']} ms, "
            f"p99 {level['p99_ms']} ms"
        )
    print(f"  raw, one durable transaction each: {one['raw_updates_per_s']}/s")
    for row in result["idle_resync"]:  # type: ignore[attr-defined]
        print(
            f"idle resync at {row['documents']:>7} docs: request {row['request_bytes']} B, "
            f"answer {row['answer_bytes']} B, {row['median_ms']} ms"
        )


if __name__ == "__main__":
    main()
