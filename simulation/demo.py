"""``parcelsync demo``: central, a depot edge and simulated handhelds, on demo data.

Starts ``parcelsync server`` as a subprocess, enrols a depot and a handheld
per courier through the devices API, seeds the merchants' shipments through
the merchant API, then runs the depot edge (serving its handhelds on the LAN)
and the handhelds in this process, each syncing in the background while
simulated people deliver, fail, collect COD and hand cash over. One handheld
goes offline for a few stops and comes back. Runs until Ctrl-C or
``duration`` seconds. A second run in the same directory starts afresh, or
continues the previous one with ``keep`` (:mod:`simulation.demo_files`).
"""

from __future__ import annotations

import asyncio
import datetime as dt
import logging
import os
import secrets
import subprocess
import sys
from contextlib import AsyncExitStack, suppress
from dataclasses import dataclass
from pathlib import Path

import httpx
import msgspec

from edge.context import EdgeContext, Identity, enroll
from edge.errors import NodeStateError
from edge.node import EdgeNode
from edge.store import EdgeStore
from fixtures import Dataset, ShipmentSpec, tiny
from protocol.money import Money
from protocol.permissions import Device
from protocol.vocab import Role

from .central_process import until_answering
from .demo_files import (
    CENTRAL_DB,
    DEPOT_DB,
    HANDHELD_PREFIX,
    can_continue,
    clear,
    continue_demo,
    handheld_db,
)
from .demo_people import (
    Courier,
    CustomerReturn,
    Echo,
    Stop,
    cash_desk,
    courier_day,
    depot_morning,
    planned_return,
    returns_desk,
    until,
)
from .read_store import shipment_count
from .world import shipment_info


@dataclass(frozen=True, slots=True)
class DemoConfig:
    directory: Path
    host: str = "127.0.0.1"
    port: int = 8000
    token: str = ""  # office token; generated when empty
    duration: float | None = None  # seconds; None: until Ctrl-C
    seed: int = 1
    pace: float = 0.4  # seconds between a courier's stops
    keep: bool = False  # continue the previous run's files instead of starting afresh
    until_done: bool = False  # stop once the day is played, instead of syncing on


def start_server(config: DemoConfig, token: str) -> subprocess.Popen[bytes]:
    """``parcelsync server`` on the demo's SQLite file, as its own process.

    In its own process group, so a Ctrl-C at the terminal reaches the demo
    only, which stops the edges first and then central.
    """
    config.directory.mkdir(parents=True, exist_ok=True)
    command = [sys.executable, "-m", "parcelsync_cli", "server", "--db"]
    command += [str(config.directory / CENTRAL_DB), "--host", config.host]
    command += ["--port", str(config.port)]
    env = os.environ | {"PARCELSYNC_OFFICE_TOKEN": token}  # not on the command line (ps)
    if os.name == "posix":
        return subprocess.Popen(command, env=env, process_group=0)
    return subprocess.Popen(command, env=env)


async def wait_ready(http: httpx.AsyncClient, server: subprocess.Popen[bytes]) -> None:
    """Until central at ``http``'s base URL answers (or its process died)."""
    await until_answering(str(http.base_url).rstrip("/"), server)


async def enrol(http: httpx.AsyncClient, device: Device, label: str, **names: str) -> str:
    """Enrol a device at central; returns its token. ``names`` (``courier_name``,
    ``depot_name``) are what head office's pages show for its courier and depot."""
    body = {"role": device.role, "device_id": device.id, "label": label, **names}
    body |= {"depot_id": device.depot_id or "", "courier_id": device.courier_id or ""}
    body |= {"merchant_id": device.merchant_id or ""}
    answer = await http.post("/api/v1/devices", json=body)
    answer.raise_for_status()
    return str(answer.json()["token"])


async def seed(http: httpx.AsyncClient, data: Dataset, echo: Echo) -> dict[str, str]:
    """Each merchant's shipments through the merchant API; ``fixture id -> central id``.

    Central issues each tracking number (the fixture's own is not sent), so the
    parcel labels are named after the merchant's order ref."""
    ids: dict[str, str] = {}
    by_merchant: dict[str, list[ShipmentSpec]] = {}
    for spec in data.shipments:
        by_merchant.setdefault(spec.merchant_id, []).append(spec)
    for merchant_id, specs in by_merchant.items():
        items = []
        for spec in specs:
            info = msgspec.to_builtins(shipment_info(spec))
            keep = (
                *("order_ref", "currency", "recipient_name", "recipient_phone", "address"),
                *("postcode", "city", "cod_amount", "depot_id", "slot_start", "slot_end"),
            )
            item = {k: info[k] for k in keep if k in info}
            # central issues the tracking number, so the labels carry the order ref
            item["parcels"] = [
                {"barcode": f"{spec.order_ref}-{n}", "weight_g": p.weight_g}
                for n, p in enumerate(spec.parcels, 1)
            ]
            item["items"] = [
                {"sku": i.sku, "quantity": i.quantity, "unit_price": i.unit_price_minor}
                for i in spec.items
            ]
            items.append(item | {"merchant_id": merchant_id})
        answer = await http.post("/api/v1/shipments/bulk", json={"shipments": items})
        answer.raise_for_status()
        for spec, result in zip(specs, answer.json()["results"], strict=True):
            if result["ok"]:
                ids[spec.id] = result["id"]
        echo(f"seeding: {'#' * (len(ids) * 30 // len(data.shipments)):<30} {len(ids)} shipments")
    return ids


async def office_terms(http: httpx.AsyncClient, data: Dataset) -> None:
    """Head office sets each merchant's COD fee terms and each courier's cash limit."""
    for m in data.network.merchants:
        terms = {"name": m.name, "fee_percent_bp": m.fee_percent_bp}
        terms |= {"fee_fixed_minor": m.fee_fixed_minor}
        answer = await http.put(f"/api/v1/office/merchants/{m.id}/terms", json=terms)
        answer.raise_for_status()
    for c in data.network.couriers:
        limit = {"cash_limit_minor": c.cash_limit_minor}
        answer = await http.put(f"/api/v1/office/couriers/{c.id}/cash-limit", json=limit)
        answer.raise_for_status()


async def open_returns(
    http: httpx.AsyncClient, couriers: list[Courier], echo: Echo
) -> list[CustomerReturn]:
    """Merchants open an RMA at central for each delivered stop whose customer sends items back."""
    opened = []
    for stop in (s for c in couriers for s in c.stops if planned_return(s)):

        async def delivered_at_central(shipment_id: str = stop.shipment_id) -> bool:
            answer = await http.get(f"/api/v1/shipments/{shipment_id}")
            return answer.is_success and answer.json()["status"] == "delivered"

        try:
            async with asyncio.timeout(30):
                await until(delivered_at_central)
        except TimeoutError:
            continue  # not delivered after all (the courier was refused): nothing to return
        items = [{"sku": sku, "quantity": qty} for sku, qty in planned_return(stop)]
        answer = await http.post(
            "/api/v1/returns", json={"shipment_id": stop.shipment_id, "items": items}
        )
        answer.raise_for_status()
        opened.append(CustomerReturn(answer.json()["id"], stop))
    echo(f"merchants: {len(opened)} customer return(s) opened at central")
    return opened


async def remit(
    http: httpx.AsyncClient, data: Dataset, day: str, echo: Echo, until: str = ""
) -> None:
    """Head office pays each merchant what its statement of ``day`` (to ``until``) makes payable."""
    for merchant in data.network.merchants:
        period = {"from": day, "to": until or day}
        answer = await http.post(
            "/api/v1/office/remittances", json={"merchant_id": merchant.id, **period}
        )
        if answer.status_code == 409:  # nothing payable for this merchant today
            continue
        answer.raise_for_status()
        for batch in answer.json():
            amount = Money(batch["amount"], batch["currency"]).format()
            echo(f"office: remitted {amount} to {merchant.name}")


async def open_edge(
    db: Path, identity: Identity, extra: list[tuple[Device, str]] | None = None
) -> None:
    """Enrol an edge replica file (and, on a depot, its handhelds' tokens)."""
    store = await EdgeStore.open(db)
    try:
        await enroll(store, identity)
        for device, token in extra or []:
            await store.enroll(device, label=f"handheld of {device.courier_id}", token=token)
    finally:
        await store.close()


async def run(config: DemoConfig, echo: Echo) -> None:
    """The whole demo; returns when ``duration`` is over (or on cancellation)."""
    logging.getLogger("httpx").setLevel(logging.WARNING)  # one line per sync request is noise
    token = config.token or secrets.token_urlsafe(18)
    url = f"http://{config.host}:{config.port}"
    resume = config.keep and can_continue(config.directory)
    if not resume and clear(config.directory):
        how = "nothing to continue" if config.keep else "--keep continues it instead"
        echo(f"demo: starting afresh, the previous run's files are removed ({how})")
    server = start_server(config, token)
    try:
        async with httpx.AsyncClient(
            base_url=url, headers={"Authorization": f"Bearer {token}"}, timeout=30
        ) as http:
            await wait_ready(http, server)
            echo(f"central: {url}  (OpenAPI {url}/schema, shipments {url}/api/v1/shipments)")
            echo(f"dashboard: {url}/office/  (sign in with the office token below)")
            echo(
                f"office token: {token}   e.g. curl -H 'Authorization: Bearer {token}' "
                f"{url}/api/v1/shipments"
            )
            if resume:
                day = continue_demo(config.directory, config.host, url, echo)
            else:
                day = _network(config, http, url, echo)
            work = asyncio.create_task(day)
            try:
                await asyncio.wait_for(asyncio.shield(work), config.duration)
            except TimeoutError:
                echo(f"demo: {config.duration:g} s are over, stopping")
            finally:
                work.cancel()
                with suppress(asyncio.CancelledError):
                    await work
    finally:
        server.terminate()
        try:
            server.wait(timeout=15)
        except subprocess.TimeoutExpired:
            server.kill()
            server.wait()


async def _network(config: DemoConfig, http: httpx.AsyncClient, url: str, echo: Echo) -> None:
    data = tiny(config.seed)
    depot = data.network.depots[0]
    today = dt.date.today().isoformat()
    depot_device = Device(f"demo-{depot.code}", Role.DEPOT, depot_id=depot.id)
    depot_token = await enrol(http, depot_device, f"depot {depot.name}", depot_name=depot.name)
    handhelds: list[tuple[Device, str]] = []
    for c in data.network.couriers:
        device = Device(
            f"{HANDHELD_PREFIX}{c.code}", Role.COURIER, depot_id=c.depot_id, courier_id=c.id
        )
        token = await enrol(http, device, f"handheld of {c.name}", courier_name=c.name)
        handhelds.append((device, token))
    echo(f"devices: depot {depot_device.id} and {len(handhelds)} handhelds enrolled")
    ids = await seed(http, data, echo)
    await office_terms(http, data)
    routes: dict[str, list[Stop]] = {}
    for spec, plan in zip(data.shipments, data.plans, strict=True):
        stop = Stop(ids[spec.id], spec.recipient_name, spec.cod_amount or 0, plan)
        routes.setdefault(spec.courier_id, []).append(stop)
    depot_db = config.directory / DEPOT_DB
    await open_edge(
        depot_db,
        Identity(
            depot_device.id,
            Role.DEPOT,
            depot.id,
            upstream=url,
            token=depot_token,
            currency=depot.currency,
        ),
        handhelds,
    )
    async with AsyncExitStack() as stack:
        depot_node = EdgeNode(depot_db, listen=(config.host, 0), interval=1.0)
        await stack.enter_async_context(depot_node)
        assert depot_node.relay is not None
        relay = f"http://{config.host}:{depot_node.relay.port}"
        echo(f"depot edge: syncing with central, serving handhelds on {relay}")
        async with asyncio.timeout(60):
            await until(lambda: _holds(depot_node.ctx, len(ids)))
        echo(
            f"depot: {await depot_morning(depot_node.ctx, routes, today)} parcels scanned in "
            "and routed"
        )
        couriers = []
        for n, ((device, hh_token), c) in enumerate(
            zip(handhelds, data.network.couriers, strict=True)
        ):
            db = handheld_db(config.directory, device.id)
            identity = Identity(
                device.id,
                Role.COURIER,
                device.depot_id or "",
                device.courier_id or "",
                relay,
                hh_token,
                currency=depot.currency,
            )
            await open_edge(db, identity)
            stops = routes.get(device.courier_id or "", [])
            courier = Courier(c.id, c.name, db, stops, 2 if n == 0 else None)
            courier.node = EdgeNode(db, interval=1.0)
            await courier.node.start()
            stack.push_async_callback(_stop, courier.node)
            couriers.append(courier)
        await asyncio.gather(*(courier_day(c, config.pace, echo) for c in couriers))
        await cash_desk(depot_node.ctx, couriers, echo)
        rmas = await open_returns(http, couriers, echo)
        await returns_desk(depot_node.ctx, rmas, echo)
        await remit(http, data, today, echo)
        if config.until_done:
            echo("demo: the day is done, stopping")
            return
        echo("demo: the day is done; nodes keep syncing (Ctrl-C to stop)")
        await asyncio.Event().wait()


async def _stop(node: EdgeNode) -> None:
    with suppress(NodeStateError):  # stopped already: cancelled while offline
        await node.stop()


async def _holds(ctx: EdgeContext, count: int) -> bool:
    return await shipment_count(ctx.store) >= count
