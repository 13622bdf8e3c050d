"""``parcelsync simulate --processes``: a day where every node is its own OS process.

Central (``parcelsync server``), the depot edge (``parcelsync edge depot``,
relaying for its handhelds) and one ``parcelsync edge handheld`` per courier
run as processes syncing over HTTP on 127.0.0.1, with live pokes. Set-up
reuses the demo's steps (devices enrolled and shipments seeded through
central's APIs); the people act through the edge commands on the nodes'
replica files, which the edge store keeps safe for a second writer: the
depot scans and routes, couriers work their stops and hand their cash over,
the desk counts it (with the fixtures' planted miscounts) and deposits,
merchants open returns at central that the depot receives, grades and
restocks, and head office remits through its API. Meanwhile
:class:`simulation.fleet.ProcessChaos` kills, stops and restarts processes.
When the day is done the nodes sync until quiet, every process is stopped
and :func:`simulation.report.summarize` checks the replica files.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import random
import secrets
import socket
import time
from collections.abc import Awaitable, Callable
from contextlib import AsyncExitStack, suppress
from dataclasses import dataclass, field, replace
from functools import partial
from pathlib import Path
from typing import Any

import httpx

from edge import commands
from edge.context import EdgeContext, Identity
from edge.errors import EdgeError, UnknownDocument
from edge.store import EdgeStore
from fixtures import Dataset, Handover
from protocol.permissions import Device
from protocol.vocab import Role
from sync import ReplicaStore

from .cash import desk_counts
from .day import SimOptions, day_dataset
from .demo import enrol, open_edge, open_returns, remit, seed, wait_ready
from .demo_people import Courier, Echo, Stop, depot_morning, do_stop, returns_desk, until
from .fleet import Fleet, ProcessChaos, spawn, stop_all
from .proc_script import attempts, replayable
from .report import Expected, Replica, divergent, lost_events, summarize

__all__ = ["free_port", "run_processes", "spawn", "stop_all"]  # spawn, stop_all: e2e tests

INTERVAL = "0.5"  # seconds between a node's background syncs (pokes come sooner)
WAIT_S = 120  # bound on every wait for data another node's sync brings


def free_port() -> int:
    """A TCP port nobody listens on right now."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@dataclass(slots=True)
class ProcessDay:
    """The network of one ``--processes`` run and what its people did."""

    root: Path
    data: Dataset  # the day's script, cut to what the wire can replay
    cut_short: set[str]  # fixture ids of the shipments whose plans were cut
    fleet: Fleet = field(default_factory=Fleet)
    url: str = ""
    ids: dict[str, str] = field(default_factory=dict)  # fixture shipment id -> central id
    depot_db: Path = Path()
    depot_device: Device | None = None
    couriers: list[Courier] = field(default_factory=list)
    devices: dict[str, Device] = field(default_factory=dict)  # courier id -> handheld device
    handovers: dict[str, list[commands.Handover]] = field(default_factory=dict)


async def run_processes(options: SimOptions, root: Path, echo: Echo) -> dict[str, Any]:
    """One day of one depot (``options.depots`` is ignored) with a process per node."""
    started = time.perf_counter()
    script, cut_short = replayable(day_dataset(replace(options, depots=1), 0))
    day = ProcessDay(root, script, cut_short)
    token = secrets.token_urlsafe(18)
    port = free_port()
    day.url = f"http://127.0.0.1:{port}"
    central_args = ("server", "--db", str(root / "central.db"), "--port", str(port))
    day.fleet.start("central", root / "central.log", *central_args, "--office-token", token)
    timings: dict[str, float] = {}
    rng = random.Random(f"parcelsync/simulate/{options.seed}")
    try:
        async with httpx.AsyncClient(
            base_url=day.url, headers={"Authorization": f"Bearer {token}"}, timeout=30
        ) as http:
            await wait_ready(http, day.fleet.process("central"))
            await _start_edges(day, http, echo)
            timings["setup_s"] = round(time.perf_counter() - started, 3)

            async def central_back() -> None:
                await wait_ready(http, day.fleet.process("central"))

            handhelds = [f"hh-{c}" for c in day.devices]
            faults = ProcessChaos(options.chaos, rng, day.fleet, handhelds, central_back)
            t0 = time.perf_counter()
            await _day(day, http, faults, echo)
            timings["day_s"] = round(time.perf_counter() - t0, 3)
        t0 = time.perf_counter()
        await _until(day, _quiet)
        timings["converge_s"] = round(time.perf_counter() - t0, 3)
    finally:
        day.fleet.stop_all()
    summary = await _summary(day)
    timings["total_s"] = round(time.perf_counter() - started, 3)
    echo(f"processes: converged {summary['converged']}, {summary['lost_updates']} events lost")
    return summary | {"chaos": faults.stats(), "timings": timings}


async def _start_edges(day: ProcessDay, http: httpx.AsyncClient, echo: Echo) -> None:
    """Enrol and seed through central, then start the depot and handheld processes."""
    depot = day.data.network.depots[0]
    depot_device = Device(f"proc-{depot.code}", Role.DEPOT, depot_id=depot.id)
    depot_token = await enrol(http, depot_device, f"depot {depot.name}")
    handhelds = []
    for c in day.data.network.couriers:
        device = Device(f"proc-hh-{c.code}", Role.COURIER, depot_id=depot.id, courier_id=c.id)
        handhelds.append((device, await enrol(http, device, f"handheld of {c.name}")))
    day.ids = await seed(http, day.data, echo)
    port = free_port()
    relay = f"http://127.0.0.1:{port}"
    depot_db = day.root / "depot.db"
    identity = Identity(depot_device.id, Role.DEPOT, depot.id, upstream=day.url, token=depot_token)
    await open_edge(depot_db, identity, handhelds)
    day.depot_db, day.depot_device = depot_db, depot_device
    day.fleet.start(
        "depot", day.root / "depot.log", "edge", "depot", "--db", str(depot_db),
        "--listen", f"127.0.0.1:{port}", "--interval", INTERVAL,
    )  # fmt: skip
    routes: dict[str, list[Stop]] = {}
    for spec, plan in zip(day.data.shipments, day.data.plans, strict=True):
        stop = Stop(day.ids[spec.id], spec.recipient_name, spec.cod_amount or 0, plan)
        routes.setdefault(spec.courier_id, []).append(stop)
    for device, hh_token in handhelds:
        db = day.root / f"{device.id}.db"
        courier = device.courier_id or ""
        await open_edge(db, Identity(device.id, Role.COURIER, depot.id, courier, relay, hh_token))
        day.fleet.start(
            f"hh-{courier}", db.with_suffix(".log"),
            "edge", "handheld", "--db", str(db), "--interval", INTERVAL,
        )  # fmt: skip
        day.devices[courier] = device
        day.couriers.append(Courier(courier, device.id, db, routes.get(courier, [])))
    echo(f"processes: central, depot relay on {relay}, {len(handhelds)} handhelds")


async def _day(day: ProcessDay, http: httpx.AsyncClient, faults: ProcessChaos, echo: Echo) -> None:
    """The day's work while the fleet's watchdog fails it if a node dies unasked."""
    async with asyncio.TaskGroup() as group:
        watchdog = group.create_task(day.fleet.watch())
        await _work(day, http, faults, echo)
        watchdog.cancel()


async def _work(day: ProcessDay, http: httpx.AsyncClient, faults: ProcessChaos, echo: Echo) -> None:
    """Morning at the depot, the couriers' routes under chaos, then desk, returns, office."""
    async with AsyncExitStack() as stack:
        depot = await EdgeContext.open(day.depot_db)
        stack.push_async_callback(depot.close)
        async with asyncio.timeout(WAIT_S):
            await until(lambda: _holds(depot.store, list(day.ids.values())))
        routes = {c.courier_id: c.stops for c in day.couriers}
        echo(f"depot: {await depot_morning(depot, routes, day.data.day)} parcels scanned, routed")
        day_over = asyncio.Event()
        chaos = asyncio.create_task(faults.run(day_over))
        try:
            await asyncio.gather(*(_courier(day, c, echo) for c in day.couriers))
        finally:
            day_over.set()
            await chaos  # every node is back up before the office works at central
        await _cash_desk(day, depot, echo)
        await returns_desk(depot, await open_returns(http, day.couriers, echo), echo)
    await _until(day, _at_central)  # head office pays what has reached it
    await remit(http, day.data, dt.date.today().isoformat(), echo)


async def _courier(day: ProcessDay, courier: Courier, echo: Echo) -> None:
    """Once the route reached the handheld, do every stop's doorstep steps; hand cash over."""
    ctx = await EdgeContext.open(courier.db)
    try:
        async with asyncio.timeout(WAIT_S):
            await until(lambda: _holds(ctx.store, [s.shipment_id for s in courier.stops]))
        rounds = [[replace(s, plan=a) for a in attempts(s.plan)] for s in courier.stops]
        for attempt in range(max(map(len, rounds), default=0)):  # failed stops come again
            for stop in (r[attempt] for r in rounds if attempt < len(r)):
                with suppress(EdgeError):  # refused by the edge rules: the person moves on
                    await do_stop(ctx, stop)
        script = _handover_script(day, courier.courier_id)
        if script is not None and script.declared_minor:
            day.handovers[courier.courier_id] = await commands.handover(ctx)
        echo(f"{courier.name}: {len(courier.stops)} stops done, cash handed over")
    finally:
        await ctx.close()


def _handover_script(day: ProcessDay, courier_id: str) -> Handover | None:
    return next((h for h in day.data.handovers if h.courier_id == courier_id), None)


async def _cash_desk(day: ProcessDay, depot: EdgeContext, echo: Echo) -> None:
    """Count each handover once it synced to the depot (planted miscounts too); deposit."""
    for courier_id, handovers in day.handovers.items():
        script = _handover_script(day, courier_id)
        assert script is not None  # only scripted handovers were done
        for handover, amount in desk_counts(script, handovers):
            async with asyncio.timeout(WAIT_S):
                await until(partial(_count, depot, handover.handover_id, amount))
            echo(f"depot desk: counted {amount} of {handover.amount} handed over")
    amount = await commands.undeposited(depot)
    if amount > 0:
        deposit = await commands.deposit(depot, amount)
        echo(f"depot: deposited {deposit.amount} (batch {deposit.batch_id})")


async def _count(depot: EdgeContext, handover_id: str, amount: int) -> bool:
    try:
        await commands.count_cash(depot, handover_id, amount)
    except UnknownDocument:
        return False  # the handover has not reached the depot yet
    return True


async def _holds(store: ReplicaStore, doc_ids: list[str]) -> bool:
    return len(await store.load(doc_ids)) == len(doc_ids)


async def _replicas(day: ProcessDay, stack: AsyncExitStack) -> list[Replica]:
    """The depot's and handhelds' replica files, opened for the checks."""
    assert day.depot_device is not None
    files = [("depot", day.depot_device, day.depot_db)]
    files += [(c.name, day.devices[c.courier_id], c.db) for c in day.couriers]
    replicas = []
    for name, device, db in files:
        store = await EdgeStore.open(db)
        stack.push_async_callback(store.close)
        replicas.append(Replica(name, device, store))
    return replicas


Check = Callable[[ReplicaStore, list[Replica]], Awaitable[bool]]


async def _until(day: ProcessDay, check: Check) -> None:
    """Until ``check(central, edges)`` holds on the replica files (bounded by ``WAIT_S``)."""
    async with AsyncExitStack() as stack:
        central = await ReplicaStore.open(day.root / "central.db")
        stack.push_async_callback(central.close)
        replicas = await _replicas(day, stack)
        with suppress(TimeoutError):  # the summary reports what is still missing
            async with asyncio.timeout(WAIT_S):
                await until(lambda: check(central, replicas))


async def _drained(replicas: list[Replica]) -> bool:
    for replica in replicas:
        assert isinstance(replica.store, EdgeStore)
        if (await replica.store.outbox_stats()).waiting:
            return False
    return True


async def _at_central(central: ReplicaStore, replicas: list[Replica]) -> bool:
    """Every event an edge recorded has reached central."""
    return await _drained(replicas) and not await lost_events(central, replicas, set())


async def _quiet(central: ReplicaStore, replicas: list[Replica]) -> bool:
    """Nothing left to push and every edge holds what central holds for its scope."""
    return await _drained(replicas) and not await divergent(central, replicas)


async def _summary(day: ProcessDay) -> dict[str, Any]:
    """The report of the stopped nodes' files, with what this mode could not replay."""
    expected = Expected(remits_statements=True)
    expected.add(day.data)
    expected.finals = {day.ids[k]: v for k, v in expected.finals.items() if k not in day.cut_short}
    async with AsyncExitStack() as stack:
        central = await ReplicaStore.open(day.root / "central.db")
        stack.push_async_callback(central.close)
        summary = await summarize(central, await _replicas(day, stack), set(), expected)
    return summary | {
        "mode": "processes",
        "processes": len(day.fleet.nodes),
        "ticks": None,
        "not_replayed": len(day.cut_short),
    }
