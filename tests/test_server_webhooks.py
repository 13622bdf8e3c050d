"""Webhook deliveries over the wire: return grading, COD remittance, a restart mid-queue.

Each test drives the real central process and a real receiver on 127.0.0.1
that refuses first attempts, so every delivery below is a retried one.
"""

from __future__ import annotations

import sqlite3
from pathlib import Path
from typing import TYPE_CHECKING

import anyio
import msgspec
import pytest

from protocol.commands import DocCommand
from protocol.events import (
    BatchPayload,
    CashRemitted,
)
from protocol.ids import new_id
from protocol.info import CashBookInfo
from sync import commit_commands

from .return_helpers import grade_return, of_kind
from .server_helpers import clock, deliver, node, shipment_json
from .webhook_receiver import Receiver, running

if TYPE_CHECKING:
    from .server_fixtures import Central, Names

pytest_plugins = ["tests.server_fixtures"]


@pytest.fixture(scope="module")
def central(central_each: Central) -> Central:
    """Every test here runs on SQLite and on PostgreSQL with 2 workers (one scans)."""
    return central_each


async def _remit(central: Central, names: Names, tmp_path: Path, shipment_id: str) -> str:
    """Head office pushes a remittance to the merchant; returns the event id."""
    office_id = "office-bootstrap"
    info = CashBookInfo(owner_kind="office", owner_id="office", day="2026-01-05", currency="EUR")
    event = CashRemitted(
        id=new_id(),
        hlc=clock(office_id).now().encode(),
        device=office_id,
        actor="finance",
        payload=BatchPayload(
            amount=2500,
            currency="EUR",
            batch_id=new_id(),
            merchant_id=names.merchant,
            shipment_ids=[shipment_id],
        ),
    )
    command = DocCommand.build("remit", "cashbook", [event], msgspec.to_builtins(info))
    async with node(central, tmp_path / "office.db", office_id, central.office_token) as office:
        await commit_commands(office.store, [(new_id(), command)], device_id=office_id)
        assert (await office.push()).rejected == 0
    return event.id


async def test_return_grading_and_cod_remittance_are_retried_until_delivered(
    central: Central, names: Names, tmp_path: Path
):
    with running(Receiver(fail=0, fail_each=2)) as hook:
        _, token = central.enrol("merchant", merchant_id=names.merchant)
        with central.api(token) as api:
            api.post("/api/v1/webhooks", json={"url": hook.url}).raise_for_status()
            created = api.post(
                "/api/v1/shipments",
                json=shipment_json("G-1", depot_id=names.depot, items=[{"sku": "SKU-1"}]),
            )
            shipment_id = created.json()["id"]
        await deliver(central, names, tmp_path, shipment_id)
        with central.api(token) as api:
            rma = api.post(
                "/api/v1/returns", json={"shipment_id": shipment_id, "items": [{"sku": "SKU-1"}]}
            ).json()
        await grade_return(central, names, tmp_path, rma["id"])
        remitted_id = await _remit(central, names, tmp_path, shipment_id)
        with anyio.fail_after(20):
            await anyio.to_thread.run_sync(
                hook.wait_until,
                lambda h: of_kind(h, "return.graded") and of_kind(h, "cod.remitted"),
            )
        [graded] = of_kind(hook, "return.graded")
        [remitted] = of_kind(hook, "cod.remitted")
    assert graded["data"] == {
        "return_id": rma["id"],
        "shipment_id": shipment_id,
        "items": [{"sku": "SKU-1", "grade": "sellable", "disposition": "restock", "quantity": 1}],
    }
    assert remitted["data"]["event_id"] == remitted_id
    assert remitted["data"]["merchant_id"] == names.merchant
    assert (remitted["data"]["amount"], remitted["data"]["currency"]) == (2500, "EUR")
    assert remitted["data"]["shipment_ids"] == [shipment_id]
    for delivery in (graded, remitted):
        assert hook.attempts(delivery["id"]) == ["1", "2", "3"]


def _undelivered(db_path: Path) -> int:
    with sqlite3.connect(f"file:{db_path}?mode=ro", uri=True) as db:
        (count,) = db.execute(
            "SELECT count(*) FROM webhook_queue WHERE delivered_at IS NULL AND failed_at IS NULL"
        ).fetchone()
    return int(count)


async def test_deliveries_queued_at_a_restart_are_delivered_after_it(tmp_path: Path, names: Names):
    from .server_fixtures import start_central, stop_central

    db_path = tmp_path / "central.db"
    with running(Receiver(fail=10**9)) as hook:
        first = start_central(db_path)
        try:
            _, token = first.enrol("merchant", merchant_id=names.merchant)
            with first.api(token) as api:
                api.post("/api/v1/webhooks", json={"url": hook.url}).raise_for_status()
                refs = [f"R-{i}" for i in range(3)]
                answer = api.post(
                    "/api/v1/shipments/bulk", json={"shipments": [shipment_json(r) for r in refs]}
                )
            ids = {r["id"] for r in answer.json()["results"]}
            with anyio.fail_after(20):
                await anyio.to_thread.run_sync(hook.wait_until, lambda h: len(h.requests) >= 3)
        finally:
            stop_central(first)
        assert _undelivered(db_path) == 3
        assert hook.delivered == []
        hook.succeed_from_now()
        second = start_central(db_path)
        try:
            with anyio.fail_after(20):
                delivered = await anyio.to_thread.run_sync(hook.wait_for, 3, 20)
        finally:
            stop_central(second)
    assert {d["data"]["shipment_id"] for d in delivered} == ids
    assert len({d["id"] for d in delivered}) == len(delivered) == 3
    assert _undelivered(db_path) == 0
