"""Acting as the nodes around central, over the wire: seed, assign, deliver."""

from __future__ import annotations

import time
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Any

import httpx

from protocol.commands import DocCommand
from protocol.events import (
    CodCollected,
    CodCollectedPayload,
    Delivered,
    Event,
    OutForDelivery,
    ProofOfDelivery,
)
from protocol.hlc import HybridClock
from protocol.ids import new_id
from sync import ReplicaStore, SyncClient, commit_commands
from sync.http_transport import HttpChannel

if TYPE_CHECKING:
    from .server_fixtures import Central, Names


@asynccontextmanager
async def node(
    central: Central, path: Path, device_id: str, token: str
) -> AsyncIterator[SyncClient]:
    """A replica (handheld or depot) syncing with central over HTTP."""
    async with await ReplicaStore.open(path) as store, HttpChannel(central.url, token) as channel:
        yield SyncClient(store, channel, device_id=device_id)


def office_rows(central: Central, name: str, **filters: str) -> list[dict[str, Any]]:
    """The rows of office table ``name`` as dicts by column, read over the office API."""
    with central.api() as api:
        answer = api.get(f"/api/v1/office/tables/{name}", params=filters)
    assert answer.status_code == 200, answer.text
    table = answer.json()
    columns = [c["name"] for c in table["columns"]]
    return [dict(zip(columns, row, strict=True)) for row in table["rows"]]


async def seed(
    central: Central, names: Names, count: int, items: list[dict[str, Any]] | None = None
) -> list[str]:
    """``count`` shipments of the test's merchant at the test's depot, via the office,
    each of ``items`` (none by default)."""
    shipments = [
        {
            "order_ref": f"order-{i}",
            "currency": "EUR",
            "cod_amount": 1000 + i,
            "depot_id": names.depot,
            "merchant_id": names.merchant,
            "recipient_name": f"Recipient {i}",
            "items": items or [],
        }
        for i in range(count)
    ]
    async with httpx.AsyncClient(
        base_url=central.url, headers={"authorization": f"Bearer {central.office_token}"}
    ) as client:
        answer = await client.post("/api/v1/shipments/bulk", json={"shipments": shipments})
    answer.raise_for_status()
    return [r["id"] for r in answer.json()["results"]]


async def assign(depot: SyncClient, shipment_ids: list[str], courier_id: str) -> None:
    """The depot puts shipments on a courier's route and pushes the change."""
    await depot.sync()
    commands = [
        (sid, DocCommand("assign", "shipment", info={"courier_id": courier_id}))
        for sid in shipment_ids
    ]
    await commit_commands(depot.store, commands, device_id=depot.device_id)
    report = await depot.push()
    assert report.rejected == 0, await depot.store.quarantined()


def clock(device_id: str) -> HybridClock:
    return HybridClock(device_id, lambda: time.time_ns() // 1_000_000)


def shipment_json(ref: str, **extra: object) -> dict[str, object]:
    """A merchant API shipment body: order ``ref``, EUR 25.00 COD, ``extra`` fields."""
    return {"order_ref": ref, "currency": "EUR", "cod_amount": 2500, **extra}


def stamp(device: str, actor: str, hlc: HybridClock) -> dict[str, Any]:
    """An event's id, clock reading, device and actor, to splat into its constructor."""
    return {"id": new_id(), "hlc": hlc.now().encode(), "device": device, "actor": actor}


async def push_all(client: SyncClient, commands: list[tuple[str, DocCommand]]) -> None:
    """Commit ``commands`` on ``client``'s replica and push them; none may be refused."""
    await commit_commands(client.store, commands, device_id=client.device_id)
    report = await client.push()
    assert report.rejected == 0, await client.store.quarantined()


def delivery_events(device_id: str, courier_id: str, amount: int) -> list[Event]:
    """Out for delivery, delivered, COD collected: what a courier records at the door."""
    hlc = clock(device_id)
    common = {"device": device_id, "actor": courier_id}
    return [
        OutForDelivery(
            id=new_id(),
            hlc=hlc.now().encode(),
            payload=OutForDelivery.Body(courier_id=courier_id),
            **common,
        ),
        Delivered(
            id=new_id(),
            hlc=hlc.now().encode(),
            payload=ProofOfDelivery(recipient_name="R", relation="self", device_time_ms=1),
            **common,
        ),
        CodCollected(
            id=new_id(),
            hlc=hlc.now().encode(),
            payload=CodCollectedPayload(amount=amount, currency="EUR"),
            **common,
        ),
    ]


async def routed(
    central: Central,
    names: Names,
    tmp_path: Path,
    shipment_ids: list[str],
    courier: str = "",
    db: str = "depot.db",
) -> tuple[str, str]:
    """A new depot device assigns the shipments to ``courier`` (default the test courier).

    Returns the depot's ``(device id, token)``.
    """
    depot_id, depot_token = central.enrol("depot", depot_id=names.depot)
    async with node(central, tmp_path / db, depot_id, depot_token) as depot:
        await assign(depot, shipment_ids, courier or names.courier)
    return depot_id, depot_token


async def deliver(central: Central, names: Names, tmp_path: Path, shipment_id: str) -> None:
    """The depot routes the shipment to the test courier, who delivers it and collects COD."""
    await routed(central, names, tmp_path, [shipment_id])
    hh_id, hh_token = central.enrol("courier", depot_id=names.depot, courier_id=names.courier)
    async with node(central, tmp_path / "hh.db", hh_id, hh_token) as handheld:
        await handheld.sync()
        events = delivery_events(hh_id, names.courier, 2500)
        command = DocCommand.build("deliver", "shipment", events)
        await commit_commands(handheld.store, [(shipment_id, command)], device_id=hh_id)
        assert (await handheld.sync()).rejected == 0
