"""End to end with real OS processes on 127.0.0.1: central, a depot relay, three handhelds.

Central (``parcelsync server``), the depot (``parcelsync edge depot --listen``)
and each handheld (``parcelsync edge handheld``) run as processes; devices and
shipments go in through central's devices and merchant APIs (the demo's own
helpers). The depot's WAN is then cut (central stops) while the couriers work:
A through one-shot ``parcelsync edge`` commands, B and C through the edge
command functions on their replica files. A's failed parcel is reassigned to B
through the depot and B, seeing A's attempt, finishes it. C works with no link,
then its handheld is SIGKILLed while pushing its outbox one item per request,
and restarted. Central comes back and every replica converges.
"""

from __future__ import annotations

import asyncio
import json
import secrets
import signal
import subprocess
import sys
from contextlib import AsyncExitStack
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
import msgspec
import pytest

from edge import commands
from edge.context import EdgeContext, Identity
from edge.errors import UnknownDocument
from edge.store import EdgeStore
from fixtures import build_dataset
from protocol.permissions import Device
from protocol.vocab import Role
from simulation.demo import enrol, open_edge, seed, wait_ready
from simulation.demo_people import Stop, depot_morning, until
from simulation.fleet import spawn, stop_all
from simulation.proc_net import free_port
from sync import ReplicaStore
from tests._edge_world import cash_totals, duplicated_events, event_origins, replica_gaps

pytestmark = pytest.mark.slow
NODE = ("--interval", "0.3", "--retry-max", "0.5")
TIMEOUT = 30  # seconds for any one phase; the whole test takes ~10 s


@dataclass
class Net:
    root: Path
    url: str  # central
    central_args: tuple[str, ...]
    processes: list[subprocess.Popen[bytes]]
    devices: list[Device] = field(default_factory=list)  # the three handhelds
    routes: list[list[Stop]] = field(default_factory=list)  # per handheld
    routes_day: str = ""  # the dataset's route day
    stores: list[EdgeStore] = field(default_factory=list)  # per handheld, opened here
    depot: EdgeContext | None = None
    written: dict[str, list[str]] = field(default_factory=dict)  # device -> event ids

    def db(self, n: int) -> Path:
        return self.root / f"{self.devices[n].id}.db"

    def handheld(self, n: int, *extra: str) -> subprocess.Popen[bytes]:
        db = self.db(n)
        process = spawn(db.with_suffix(".log"), "edge", "handheld", "--db", str(db), *NODE, *extra)
        self.processes.append(process)
        return process


async def cli(db: Path, *args: str) -> Any:
    """``parcelsync edge ARGS --db DB --json`` as its own process; what it printed."""
    process = await asyncio.create_subprocess_exec(
        *(sys.executable, "-m", "parcelsync_cli", "edge", *args, "--db", str(db), "--json"),
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
    )
    out, err = await process.communicate()
    assert process.returncode == 0, err.decode()
    return json.loads(out)


async def holds(store: ReplicaStore, doc_ids: list[str]) -> bool:
    return len(await store.load(doc_ids)) == len(doc_ids)


async def start(net: Net, http: httpx.AsyncClient, stack: AsyncExitStack) -> None:
    """Enrol and seed through central; start the depot and the handhelds; route the day."""
    data = build_dataset(2, depots=1, couriers_per_depot=3, merchants=1, stops_per_courier=(6, 6))
    depot_info = data.network.depots[0]
    depot = Device("e2e-depot", Role.DEPOT, depot_id=depot_info.id)
    depot_token = await enrol(http, depot, "depot")
    for c in data.network.couriers:
        net.devices.append(Device(f"e2e-hh-{c.code}", Role.COURIER, depot_info.id, c.id))
    tokens = [await enrol(http, d, "handheld") for d in net.devices]
    ids = await seed(http, data, lambda _: None)
    routes: dict[str, list[Stop]] = {d.courier_id or "": [] for d in net.devices}
    for spec, plan in zip(data.shipments, data.plans, strict=True):
        stop = Stop(ids[spec.id], spec.recipient_name, spec.cod_amount or 0, plan)
        routes[spec.courier_id].append(stop)
    net.routes = list(routes.values())
    net.routes_day = data.day
    relay = f"127.0.0.1:{free_port()}"
    depot_db = net.root / "depot.db"
    identity = Identity(depot.id, Role.DEPOT, depot_info.id, "", net.url, depot_token)
    await open_edge(depot_db, identity, list(zip(net.devices, tokens, strict=True)))
    args = ("edge", "depot", "--db", str(depot_db), "--listen", relay, *NODE)
    net.processes.append(spawn(net.root / "depot.log", *args))
    for n, (device, token) in enumerate(zip(net.devices, tokens, strict=True)):
        courier = device.courier_id or ""
        hh = Identity(device.id, Role.COURIER, depot_info.id, courier, f"http://{relay}", token)
        await open_edge(net.db(n), hh)
        net.handheld(n)
        net.stores.append(await EdgeStore.open(net.db(n)))
        stack.push_async_callback(net.stores[-1].close)
    net.depot = await EdgeContext.open(depot_db)
    stack.push_async_callback(net.depot.close)
    async with asyncio.timeout(TIMEOUT):
        await until(lambda: holds(net.depot.store, list(ids.values())))
        await depot_morning(net.depot, routes, data.day)
        for store, route in zip(net.stores, net.routes, strict=True):
            await until(lambda s=store, r=route: holds(s, [stop.shipment_id for stop in r]))
        await until(lambda: idle(net.depot.store))


async def idle(store: EdgeStore) -> bool:
    return (await store.outbox_stats()).waiting == 0


def decimal(minor: int) -> str:
    return f"{minor // 100}.{minor % 100:02d}"


async def finish(ctx: EdgeContext, stop: Stop) -> list[str]:
    """Collect the COD (if any) and deliver; the ids of the events written."""
    written = []
    if stop.cod:
        written += (await commands.collect(ctx, stop.shipment_id, stop.cod)).events
    return written + (await commands.deliver(ctx, stop.shipment_id, recipient_name="Ann")).events


async def courier_a(net: Net) -> list[dict[str, Any]]:
    """One-shot CLI processes: a failed attempt, a COD delivery with a photo, the handover."""
    db, device = net.db(0), net.devices[0].id
    first, second = net.routes[0][0], net.routes[0][1]
    assert second.cod, "the dataset gives courier A a COD parcel as second stop"
    failed = await cli(db, "fail", first.shipment_id, "--reason", "not_home")
    collected = await cli(db, "collect", second.shipment_id, decimal(second.cod))
    photo = net.root / "door.jpg"
    photo.write_bytes(b"\xff\xd8 a parcel at the door " * 40)
    args = ("deliver", second.shipment_id, "--name", "Ann", "--photo", str(photo))
    delivered = await cli(db, *args)
    net.written[device] = [*failed["events"], *collected["events"], *delivered["events"]]
    return list(await cli(db, "handover"))


async def courier_b(net: Net) -> list[dict[str, Any]]:
    """Works B's route, then A's failed parcel once it was reassigned to B."""
    ctx = await EdgeContext.open(net.db(1))
    try:
        written = [e for stop in net.routes[1] for e in await finish(ctx, stop)]
        moved = net.routes[0][0]
        await until(lambda: holds(ctx.store, [moved.shipment_id]))
        view = await commands.find(ctx, moved.shipment_id)
        assert view.state.attempts == 1  # A's attempt reached B through the depot
        net.written[net.devices[1].id] = written + await finish(ctx, moved)
        return [msgspec.to_builtins(h) for h in await commands.handover(ctx)]
    finally:
        await ctx.close()


async def depot_reassigns(net: Net) -> None:
    """Once A's failed attempt reached the depot, the parcel goes to B's route."""
    assert net.depot is not None
    moved = net.routes[0][0].shipment_id

    async def attempted() -> bool:
        rows = await net.depot.store.query(
            "SELECT attempts FROM p_shipments WHERE doc_id = ?", (moved,)
        )
        return bool(rows) and rows[0][0] == 1

    await until(attempted)
    await commands.assign(net.depot, moved, net.devices[1].courier_id or "", net.routes_day, 99)


async def courier_c(net: Net) -> list[dict[str, Any]]:
    """C's handheld is off: C works the route on the replica file alone."""
    ctx = await EdgeContext.open(net.db(2))
    try:
        *done, refused = net.routes[2]
        written = [e for stop in done for e in await finish(ctx, stop)]
        written += (await commands.fail(ctx, refused.shipment_id, "refused")).events
        net.written[net.devices[2].id] = written
        return [msgspec.to_builtins(h) for h in await commands.handover(ctx)]
    finally:
        await ctx.close()


async def sigkill_mid_push(process: subprocess.Popen[bytes], store: EdgeStore) -> tuple[int, int]:
    """SIGKILL ``process`` once part of its outbox was acknowledged: (backlog, left)."""
    backlog = (await store.outbox_stats()).waiting
    async with asyncio.timeout(TIMEOUT):
        while (await store.outbox_stats()).waiting == backlog:
            assert process.poll() is None, "the handheld exited on its own"
            await asyncio.sleep(0.002)  # observing another process: nothing to await on
    process.send_signal(signal.SIGKILL)
    process.wait()
    return backlog, (await store.outbox_stats()).waiting


async def count_cash(depot: EdgeContext, handovers: list[dict[str, Any]]) -> None:
    """The depot desk counts each handover (exactly) once it has reached the depot."""
    pending = list(handovers)

    async def all_counted() -> bool:
        for handover in list(pending):
            try:
                await commands.count_cash(depot, handover["handover_id"], handover["amount"])
            except UnknownDocument:  # not synced to the depot yet
                return False
            pending.remove(handover)
        return True

    await until(all_counted)


async def converged(central: ReplicaStore, edges: list[EdgeStore]) -> bool:
    return all([not await replica_gaps(central, edge) for edge in edges])


async def test_wan_cut_sigkill_mid_push_and_convergence(tmp_path: Path) -> None:
    port, office = free_port(), secrets.token_urlsafe(18)
    url = f"http://127.0.0.1:{port}"
    args = ("server", "--db", str(tmp_path / "central.db"), "--port", str(port))
    net = Net(tmp_path, url, (*args, "--office-token", office), [])
    net.processes.append(spawn(tmp_path / "central.log", *net.central_args))
    try:
        async with AsyncExitStack() as stack:
            http = await stack.enter_async_context(
                httpx.AsyncClient(base_url=url, headers={"authorization": f"Bearer {office}"})
            )
            await wait_ready(http, net.processes[0])
            await start(net, http, stack)
            assert net.depot is not None
            for process in (net.processes[0], net.processes[-1]):  # WAN cut; C's handheld off
                process.send_signal(signal.SIGTERM)
                process.wait(15)
            async with asyncio.timeout(TIMEOUT):
                handed_a, handed_b, _ = await asyncio.gather(
                    courier_a(net), courier_b(net), depot_reassigns(net)
                )
                moved = net.routes[0][0].shipment_id
                await until(lambda: left_handheld(net.stores[0], moved))
                handed_c = await courier_c(net)
                backlog, left = await sigkill_mid_push(
                    net.handheld(2, "--batch", "1"), net.stores[2]
                )
                assert 0 < left < backlog
                net.handheld(2)
                await count_cash(net.depot, [*handed_a, *handed_b, *handed_c])
                net.processes[0] = spawn(tmp_path / "central.log", *net.central_args)
                await wait_ready(http, net.processes[0])
                central = await ReplicaStore.open(tmp_path / "central.db")
                stack.push_async_callback(central.close)
                edges = [net.depot.store, *net.stores]
                await until(lambda: converged(central, edges))
            for edge in edges:
                assert await replica_gaps(central, edge) == []
            await check_events(central, net.written)
            await check_cash(central, net)
    finally:
        stop_all(net.processes)


async def left_handheld(store: EdgeStore, doc_id: str) -> bool:
    return not await holds(store, [doc_id])


async def check_events(central: ReplicaStore, written: dict[str, list[str]]) -> None:
    """Every event at central once, brought by the device that wrote it."""
    assert await duplicated_events(central) == []
    origins = await event_origins(central)
    for device, event_ids in written.items():
        assert event_ids and {origins.get(e, [""])[0] for e in event_ids} == {device}
    rows = await central.query("SELECT event_id, device FROM p_events")
    assert all(origins[event_id] == [device] for event_id, device in rows)


async def check_cash(central: ReplicaStore, net: Net) -> None:
    """Each courier's book balances: collected == handed over == counted, nothing in hand."""
    a, b, c = net.routes
    expected = {
        net.devices[0].courier_id: a[1].cod,
        net.devices[1].courier_id: sum(s.cod for s in [*b, a[0]]),
        net.devices[2].courier_id: sum(s.cod for s in c[:-1]),
    }
    assert await cash_totals(central) == {k: (v, v, v, 0) for k, v in expected.items()}
    rows = await central.query(
        "SELECT courier_id, sum(cod_collected) FROM p_shipments GROUP BY courier_id"
    )
    assert dict(rows) == expected
