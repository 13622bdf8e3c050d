"""``parcelsync simulate --processes``: a day where every node is its own OS process.

Central (``parcelsync server``), the depot edge (``parcelsync edge depot``,
relaying for its handhelds) and one ``parcelsync edge handheld`` per courier
run as processes syncing over HTTP on 127.0.0.1, with live pokes. Set-up
reuses the demo's steps (devices enrolled and shipments seeded through
central's APIs); the people (depot staff, couriers) act through the edge
commands on the nodes' replica files, which the edge store keeps safe for a
second writer. When every stop is done the nodes sync until quiet, and the
replicas are compared: every handheld holds what central holds for its
documents, and no event recorded anywhere is missing at central.
"""

from __future__ import annotations

import asyncio
import secrets
import socket
import subprocess
import sys
from contextlib import AsyncExitStack, suppress
from pathlib import Path
from typing import Any

import httpx

from edge.context import EdgeContext, Identity
from edge.errors import EdgeError
from edge.store import EdgeStore
from fixtures import Dataset, build_dataset
from protocol.permissions import Device
from protocol.vocab import Role
from sync import ReplicaStore

from .demo import DemoConfig, enrol, open_edge, seed, wait_ready
from .demo_people import Echo, Stop, depot_morning, do_stop, until
from .digest import content_digest, projection_rows

INTERVAL = "0.5"  # seconds between a node's background syncs (pokes come sooner)


def free_port() -> int:
    """A TCP port nobody listens on right now."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def spawn(log: Path, *args: str) -> subprocess.Popen[bytes]:
    """``parcelsync ARGS`` as its own process, its output going to ``log``."""
    command = [sys.executable, "-m", "parcelsync_cli", *args]
    with log.open("ab") as out:
        return subprocess.Popen(command, stdout=out, stderr=subprocess.STDOUT)


def stop_all(processes: list[subprocess.Popen[bytes]]) -> None:
    """SIGTERM every process, SIGKILL what does not stop within 15 s."""
    for process in processes:
        process.terminate()
    for process in processes:
        try:
            process.wait(15)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


async def run_processes(
    couriers: int, stops: int, seed_value: int, root: Path, echo: Echo
) -> dict[str, Any]:
    """The whole day with one process per node; returns the summary."""
    data = build_dataset(
        seed_value,
        depots=1,
        couriers_per_depot=couriers,
        merchants=2,
        stops_per_courier=(max(1, stops - stops // 5), stops + stops // 5),
    )
    config = DemoConfig(root, port=free_port(), seed=seed_value)
    token = secrets.token_urlsafe(18)
    central_db = str(root / "central.db")
    processes = [
        spawn(
            root / "central.log",
            "server",
            "--db",
            central_db,
            "--port",
            str(config.port),
            "--office-token",
            token,
        )
    ]
    try:
        url = f"http://{config.host}:{config.port}"
        async with httpx.AsyncClient(
            base_url=url, headers={"Authorization": f"Bearer {token}"}, timeout=30
        ) as http:
            await wait_ready(http, processes[0])
            dbs = await _start_edges(http, url, data, root, processes, echo)
            async with asyncio.TaskGroup() as group:
                watchdog = group.create_task(_watch(processes, root))
                await _day(dbs, data, echo)
                watchdog.cancel()
        return await _check(root, dbs, len(processes), echo)
    finally:
        stop_all(processes)


class NodeDied(RuntimeError):
    """A node's process exited during the day."""


async def _watch(processes: list[subprocess.Popen[bytes]], root: Path) -> None:
    """Raise :class:`NodeDied` as soon as any node's process exits."""
    while all(p.poll() is None for p in processes):  # noqa: ASYNC110
        await asyncio.sleep(0.25)
    dead = next(p for p in processes if p.poll() is not None)
    raise NodeDied(f"{' '.join(map(str, dead.args[2:5]))} exited: see the *.log files in {root}")


async def _start_edges(
    http: httpx.AsyncClient,
    url: str,
    data: Dataset,
    root: Path,
    processes: list[subprocess.Popen[bytes]],
    echo: Echo,
) -> dict[str, Any]:
    """Enrol and seed through central, then start the depot and handhelds; their files."""
    depot = data.network.depots[0]
    depot_device = Device(f"proc-{depot.code}", Role.DEPOT, depot_id=depot.id)
    depot_token = await enrol(http, depot_device, f"depot {depot.name}")
    handhelds = []
    for c in data.network.couriers:
        device = Device(f"proc-hh-{c.code}", Role.COURIER, depot_id=depot.id, courier_id=c.id)
        handhelds.append((device, await enrol(http, device, f"handheld of {c.name}")))
    ids = await seed(http, data, echo)
    port = free_port()
    relay = f"http://127.0.0.1:{port}"
    depot_db = root / "depot.db"
    identity = Identity(depot_device.id, Role.DEPOT, depot.id, upstream=url, token=depot_token)
    await open_edge(depot_db, identity, handhelds)
    processes.append(
        spawn(
            root / "depot.log",
            "edge",
            "depot",
            "--db",
            str(depot_db),
            "--listen",
            f"127.0.0.1:{port}",
            "--interval",
            INTERVAL,
        )
    )
    routes: dict[str, list[Stop]] = {}
    for spec, plan in zip(data.shipments, data.plans, strict=True):
        stop = Stop(ids[spec.id], spec.recipient_name, spec.cod_amount or 0, plan)
        routes.setdefault(spec.courier_id, []).append(stop)
    handheld_dbs = {}
    for device, hh_token in handhelds:
        db = root / f"{device.id}.db"
        courier = device.courier_id or ""
        await open_edge(db, Identity(device.id, Role.COURIER, depot.id, courier, relay, hh_token))
        processes.append(
            spawn(
                db.with_suffix(".log"), "edge", "handheld", "--db", str(db), "--interval", INTERVAL
            )
        )
        handheld_dbs[courier] = db
    echo(f"processes: central, depot relay on {relay}, {len(handhelds)} handhelds")
    return {"depot": depot_db, "handhelds": handheld_dbs, "routes": routes, "shipments": ids}


async def _day(dbs: dict[str, Any], data: Dataset, echo: Echo) -> None:
    """Depot scans and routes; each courier works the doorstep steps of the route."""
    routes: dict[str, list[Stop]] = dbs["routes"]
    async with AsyncExitStack() as stack:
        depot = await EdgeContext.open(dbs["depot"])
        stack.push_async_callback(depot.close)
        async with asyncio.timeout(120):
            await until(lambda: _holds(depot.store, list(dbs["shipments"].values())))
        echo(f"depot: {await depot_morning(depot, routes, data.day)} parcels scanned and routed")
        await asyncio.gather(
            *(_courier(db, routes.get(c, []), echo) for c, db in dbs["handhelds"].items())
        )


async def _courier(db: Path, stops: list[Stop], echo: Echo) -> None:
    """Once the route reached the handheld process, do every stop's doorstep steps."""
    ctx = await EdgeContext.open(db)
    try:
        async with asyncio.timeout(120):
            await until(lambda: _holds(ctx.store, [s.shipment_id for s in stops]))
        for stop in stops:
            with suppress(EdgeError):  # refused by the edge rules: the person moves on
                await do_stop(ctx, stop)
        echo(f"{ctx.device_id}: {len(stops)} stops done")
    finally:
        await ctx.close()


async def _holds(store: ReplicaStore, doc_ids: list[str]) -> bool:
    return len(await store.load(doc_ids)) == len(doc_ids)


async def _check(root: Path, dbs: dict[str, Any], processes: int, echo: Echo) -> dict[str, Any]:
    """Until quiet: every replica agrees with central on its documents; then the summary."""
    edges = [dbs["depot"], *dbs["handhelds"].values()]
    async with AsyncExitStack() as stack:
        central = await ReplicaStore.open(root / "central.db")
        stack.push_async_callback(central.close)
        stores = []
        for db in edges:
            store = await EdgeStore.open(db)
            stack.push_async_callback(store.close)
            stores.append(store)
        try:
            async with asyncio.timeout(120):
                await until(lambda: _agree(central, stores))
            converged = True
        except TimeoutError:
            converged = False
        lost = await _lost_events(central, stores)
        documents = len(await central.document_ids())
        digest = await content_digest(central)
    echo(f"processes: converged {converged}, {documents} documents, {lost} events lost")
    return {
        "mode": "processes",
        "processes": processes,
        "replicas": 1 + len(edges),
        "documents": documents,
        "converged": converged,
        "lost_updates": lost,
        "state_digest": digest,
        "ok": converged and lost == 0,
    }


async def _agree(central: ReplicaStore, stores: list[EdgeStore]) -> bool:
    for store in stores:
        if (await store.outbox_stats()).waiting:
            return False
        held = await store.document_ids()
        if await projection_rows(store) != await projection_rows(central, held):
            return False
    return True


async def _lost_events(central: ReplicaStore, stores: list[EdgeStore]) -> int:
    at_central = {r[0] for r in await central.query("SELECT event_id FROM p_events")}
    everywhere: set[str] = set()
    for store in stores:
        everywhere |= {r[0] for r in await store.query("SELECT event_id FROM p_events")}
    return len(everywhere - at_central)
