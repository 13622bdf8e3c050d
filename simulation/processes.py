"""``parcelsync simulate --processes``: working days where every node is its own OS process.

Central (``parcelsync server``), one ``parcelsync edge depot`` per depot
(relaying for its handhelds) and one ``parcelsync edge handheld`` per courier
run as processes syncing over HTTP on 127.0.0.1, with live pokes; they are
started once (:mod:`simulation.proc_net`) and every day continues on the same
replicas. Each day head office seeds the shipments through the merchant API;
the people act through the edge commands on the nodes' replica files, which
the edge store keeps safe for a second writer: each depot scans and routes,
couriers work their stops (a parcel on hold goes out again only once the
sender's decision, recorded on the merchant's replica, reached the
handheld), the depot returns parcels to origin, the desk counts the cash
(with the fixtures' planted miscounts) and deposits, merchants open returns
at central that the depot receives, grades and restocks, and head office
remits through its API. Meanwhile :class:`simulation.fleet.ProcessChaos`
kills, stops and restarts processes and cuts depots' WAN links. After the
last day the nodes sync until quiet, every process is stopped and
:func:`simulation.report.summarize` checks the replica files.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import random
import secrets
import time
from collections.abc import Awaitable, Callable
from contextlib import AsyncExitStack, suppress
from dataclasses import replace
from functools import partial
from pathlib import Path
from typing import Any

import httpx

from edge import commands
from edge.context import EdgeContext
from edge.errors import EdgeError, UnknownDocument
from fixtures import Dataset, Handover
from sync import ReplicaStore

from .cash import desk_counts
from .day import SimOptions, day_dataset
from .demo import open_returns, remit, seed, wait_ready
from .demo_people import Courier, Echo, Stop, depot_morning, do_stop, returns_desk, until
from .fleet import Fleet, ProcessChaos
from .proc_net import DepotSite, ProcessNet, free_port, start_network
from .proc_script import attempts, decision, returns_to_origin
from .read_store import shipment_status
from .report import Expected, Replica, divergent, lost_events, summarize
from .steps import return_to_origin

WAIT_S = 120  # bound on every wait for data another node's sync brings
Handovers = dict[str, list[commands.Handover]]  # courier id -> what the courier handed over


async def run_processes(options: SimOptions, root: Path, echo: Echo) -> dict[str, Any]:
    """``options.days`` days of ``options.depots`` depots with a process per node."""
    started = time.perf_counter()
    first = day_dataset(options, 0)
    token = secrets.token_urlsafe(18)
    port = free_port()
    net = ProcessNet(root, port, Fleet(), _utc_today())
    central_args = ("server", "--db", str(root / "central.db"), "--port", str(port))
    secret = {"PARCELSYNC_OFFICE_TOKEN": token}
    net.fleet.start("central", root / "central.log", *central_args, env=secret)
    timings: dict[str, float] = {}
    rng = random.Random(f"parcelsync/simulate/{options.seed}")
    expected = Expected(remits_statements=True)
    ids: dict[str, str] = {}  # fixture shipment id -> central id, every day
    try:
        async with httpx.AsyncClient(
            base_url=net.url, headers={"Authorization": f"Bearer {token}"}, timeout=30
        ) as http:
            await wait_ready(http, net.fleet.process("central"))
            await start_network(net, first.network, http)
            echo(
                f"processes: central, {len(net.depots)} depot relays, "
                f"{len(net.handhelds)} handhelds, {len(net.merchants)} merchant replicas"
            )
            timings["setup_s"] = round(time.perf_counter() - started, 3)

            async def central_back() -> None:
                await wait_ready(http, net.fleet.process("central"))

            links = {d.name: d.wan for d in net.depots}
            faults = ProcessChaos(options.chaos, rng, net.fleet, net.handhelds, links, central_back)
            merchants_stop = asyncio.Event()
            async with asyncio.TaskGroup() as group:
                watchdog = group.create_task(net.fleet.watch())
                for merchant in net.merchants.values():
                    group.create_task(merchant.run(merchants_stop))
                try:
                    for index in range(options.days):
                        data = first if index == 0 else day_dataset(options, index)
                        t0 = time.perf_counter()
                        ids |= await _day(net, data, http, faults, echo)
                        expected.add(data)
                        timings[f"day_{index + 1}_s"] = round(time.perf_counter() - t0, 3)
                    t0 = time.perf_counter()
                    await _until(net, _quiet)
                    timings["converge_s"] = round(time.perf_counter() - t0, 3)
                finally:
                    watchdog.cancel()
                    merchants_stop.set()
        net.fleet.stop_all()
        expected.finals = {ids[k]: v for k, v in expected.finals.items()}
        summary = await _summary(net, expected)
    finally:
        net.fleet.stop_all()
        await net.close()
    timings["total_s"] = round(time.perf_counter() - started, 3)
    echo(f"processes: converged {summary['converged']}, {summary['lost_updates']} events lost")
    return summary | {"chaos": faults.stats(), "timings": timings}


async def _day(
    net: ProcessNet, data: Dataset, http: httpx.AsyncClient, faults: ProcessChaos, echo: Echo
) -> dict[str, str]:
    """One day's script on the running nodes; returns ``fixture id -> central id``."""
    ids = await seed(http, data, echo)
    routes: dict[str, list[Stop]] = {}
    for spec, plan in zip(data.shipments, data.plans, strict=True):
        stop = Stop(ids[spec.id], spec.recipient_name, spec.cod_amount or 0, plan)
        routes.setdefault(spec.courier_id, []).append(stop)
        answer = decision(plan)
        if answer is not None:
            net.merchants[spec.merchant_id].answers[ids[spec.id]] = answer
    for courier in net.couriers:
        courier.stops = routes.get(courier.courier_id, [])
    async with AsyncExitStack() as stack:
        desks = [await _open(stack, site.db) for site in net.depots]
        await asyncio.gather(
            *(
                _morning(site, desk, data.day, echo)
                for site, desk in zip(net.depots, desks, strict=True)
            )
        )
        day_over = asyncio.Event()
        chaos = asyncio.create_task(faults.run(day_over))
        try:
            done = await asyncio.gather(*(_courier(c, data, echo) for c in net.couriers))
        finally:
            day_over.set()
            await chaos  # every node is back up before the afternoon
        handovers = dict(done)
        await asyncio.gather(
            *(
                _afternoon(site, desk, data, handovers, http, echo)
                for site, desk in zip(net.depots, desks, strict=True)
            )
        )
    await _until(net, _at_central)  # head office pays what has reached it
    await remit(http, data, net.started_on, echo, until=_utc_today())
    return ids


def _utc_today() -> str:
    """Statements are by UTC day of collection."""
    return dt.datetime.now(dt.UTC).date().isoformat()


async def _open(stack: AsyncExitStack, db: Path) -> EdgeContext:
    ctx = await EdgeContext.open(db)
    stack.push_async_callback(ctx.close)
    return ctx


async def _morning(site: DepotSite, desk: EdgeContext, day: str, echo: Echo) -> None:
    """Once the day's parcels reached the depot: inbound scan, routes."""
    stops = [s.shipment_id for c in site.couriers for s in c.stops]
    async with asyncio.timeout(WAIT_S):
        await until(lambda: _holds(desk.store, stops))
    routes = {c.courier_id: c.stops for c in site.couriers}
    echo(f"{site.name}: {await depot_morning(desk, routes, day)} parcels scanned, routed")


async def _courier(
    courier: Courier, data: Dataset, echo: Echo
) -> tuple[str, list[commands.Handover]]:
    """Once the route reached the handheld, do every stop's attempts; hand cash over."""
    ctx = await EdgeContext.open(courier.db)
    handed: list[commands.Handover] = []
    try:
        async with asyncio.timeout(WAIT_S):
            await until(lambda: _holds(ctx.store, [s.shipment_id for s in courier.stops]))
        rounds = [[replace(s, plan=a) for a in attempts(s.plan)] for s in courier.stops]
        for attempt in range(max(map(len, rounds), default=0)):  # failed stops come again
            for stop in (r[attempt] for r in rounds if attempt < len(r)):
                if attempt:  # a parcel on hold goes out again once the sender has answered
                    async with asyncio.timeout(WAIT_S):
                        await until(partial(_not_on_hold, ctx.store, stop.shipment_id))
                with suppress(EdgeError):  # refused by the edge rules: the person moves on
                    await do_stop(ctx, stop)
        script = _handover_script(data, courier.courier_id)
        if script is not None and script.declared_minor:
            handed = await commands.handover(ctx)
        echo(f"{courier.name}: {len(courier.stops)} stops done, cash handed over")
    finally:
        await ctx.close()
    return courier.courier_id, handed


def _handover_script(data: Dataset, courier_id: str) -> Handover | None:
    return next((h for h in data.handovers if h.courier_id == courier_id), None)


async def _afternoon(
    site: DepotSite,
    desk: EdgeContext,
    data: Dataset,
    handovers: Handovers,
    http: httpx.AsyncClient,
    echo: Echo,
) -> None:
    """Returns to origin, the cash desk, then the customer returns of one depot."""
    sent_back = [s for c in site.couriers for s in c.stops if returns_to_origin(s.plan)]
    for stop in sent_back:
        async with asyncio.timeout(WAIT_S):  # the last failure (or the decision) synced here
            await until(partial(_status_is, desk.store, stop.shipment_id, "returning_to_origin"))
        await return_to_origin(desk, stop.shipment_id)
    echo(f"{site.name}: {len(sent_back)} parcels returned to origin")
    await _cash_desk(site, desk, data, handovers, echo)
    await returns_desk(desk, await open_returns(http, site.couriers, echo), echo)


async def _cash_desk(
    site: DepotSite, desk: EdgeContext, data: Dataset, handovers: Handovers, echo: Echo
) -> None:
    """Count each handover once it synced to the depot (planted miscounts too); deposit."""
    for courier in site.couriers:
        script = _handover_script(data, courier.courier_id)
        assert script is not None
        for handover, amount in desk_counts(script, handovers[courier.courier_id]):
            async with asyncio.timeout(WAIT_S):
                await until(partial(_count, desk, handover.handover_id, amount))
            echo(f"{site.name} desk: counted {amount} of {handover.amount} handed over")
    amount = await commands.undeposited(desk)
    if amount > 0:
        deposit = await commands.deposit(desk, amount)
        echo(f"{site.name}: deposited {deposit.amount} (batch {deposit.batch_id})")


async def _count(depot: EdgeContext, handover_id: str, amount: int) -> bool:
    try:
        await commands.count_cash(depot, handover_id, amount)
    except UnknownDocument:
        return False  # the handover has not reached the depot yet
    return True


async def _holds(store: ReplicaStore, doc_ids: list[str]) -> bool:
    return len(await store.load(doc_ids)) == len(doc_ids)


async def _status_is(store: ReplicaStore, doc_id: str, status: str) -> bool:
    return await shipment_status(store, doc_id) == status


async def _not_on_hold(store: ReplicaStore, doc_id: str) -> bool:
    return not await _status_is(store, doc_id, "on_hold")


Check = Callable[[ReplicaStore, list[Replica]], Awaitable[bool]]


async def _until(net: ProcessNet, check: Check) -> None:
    """Until ``check(central, edges)`` holds on the replica files (bounded by ``WAIT_S``)."""
    async with AsyncExitStack() as stack:
        central = await ReplicaStore.open(net.root / "central.db")
        stack.push_async_callback(central.close)
        replicas = await net.replicas(stack)
        with suppress(TimeoutError):  # the summary reports what is still missing
            async with asyncio.timeout(WAIT_S):
                await until(lambda: check(central, replicas))


async def _drained(replicas: list[Replica]) -> bool:
    for replica in replicas:
        if (await replica.store.outbox_stats()).waiting:
            return False
    return True


async def _at_central(central: ReplicaStore, replicas: list[Replica]) -> bool:
    """Every event an edge recorded has reached central."""
    return await _drained(replicas) and not await lost_events(central, replicas, set())


async def _quiet(central: ReplicaStore, replicas: list[Replica]) -> bool:
    """Nothing left to push and every edge holds what central holds for its scope."""
    return await _drained(replicas) and not await divergent(central, replicas)


async def _summary(net: ProcessNet, expected: Expected) -> dict[str, Any]:
    """The report of the stopped nodes' files (and the merchants' replicas)."""
    async with AsyncExitStack() as stack:
        central = await ReplicaStore.open(net.root / "central.db")
        stack.push_async_callback(central.close)
        summary = await summarize(central, await net.replicas(stack), set(), expected)
    return summary | {"mode": "processes", "processes": len(net.fleet.nodes), "ticks": None}
