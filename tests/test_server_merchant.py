"""The merchant API and webhooks against the real central process."""

from __future__ import annotations

import hashlib
import hmac
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING

import anyio
import pytest

from .server_helpers import deliver, shipment_json
from .webhook_receiver import Receiver, running

if TYPE_CHECKING:
    from .server_fixtures import Central, Names

pytest_plugins = ["tests.server_fixtures"]


@pytest.fixture(scope="module")
def central(central_each: Central) -> Central:
    """Every test here runs on SQLite and on PostgreSQL with 2 workers."""
    return central_each


def test_create_is_idempotent_by_order_ref(central: Central, names: Names):
    _, token = central.enrol("merchant", merchant_id=names.merchant)
    with central.api(token) as api:
        first = api.post("/api/v1/shipments", json=shipment_json("A-1", depot_id=names.depot))
        again = api.post("/api/v1/shipments", json=shipment_json("A-1", depot_id=names.depot))
        assert (first.status_code, again.status_code) == (201, 200)
        assert first.json()["id"] == again.json()["id"]
        bulk = api.post(
            "/api/v1/shipments/bulk",
            json={
                "shipments": [
                    shipment_json("A-1"),
                    shipment_json("A-2"),
                    shipment_json("A-3", currency="XXX"),
                ]
            },
        ).json()
        assert [r["ok"] for r in bulk["results"]] == [True, True, False]
        assert bulk["results"][0]["id"] == first.json()["id"]
        assert "XXX" in bulk["results"][2]["error"]
        assert (bulk["created"], bulk["existing"], bulk["failed"]) == (1, 1, 1)
        tn = first.json()["tracking_number"]
        by_tn = api.get(f"/api/v1/shipments/by-tracking/{tn.lower()}").json()
        assert by_tn["id"] == first.json()["id"]
        assert by_tn["status"] == "created"
        assert [e["type"] for e in by_tn["events"]] == ["created"]
        too_many = {"shipments": [shipment_json(f"B-{i}") for i in range(1001)]}
        assert api.post("/api/v1/shipments/bulk", json=too_many).status_code == 400


def test_merchants_see_only_their_own(central: Central, names: Names):
    _, mine = central.enrol("merchant", merchant_id=names.merchant)
    _, theirs = central.enrol("merchant", merchant_id=names.merchant + "-x")
    with central.api(mine) as api:
        created = api.post("/api/v1/shipments", json=shipment_json("S-1")).json()
    with central.api(theirs) as api:
        assert api.get(f"/api/v1/shipments/{created['id']}").status_code == 404
        assert api.post(f"/api/v1/shipments/{created['id']}/cancel").status_code == 404
        assert api.get("/api/v1/shipments").json()["items"] == []


def test_list_pages_and_filters(central: Central, names: Names):
    _, token = central.enrol("merchant", merchant_id=names.merchant)
    with central.api(token) as api:
        refs = [f"L-{i}" for i in range(5)]
        api.post("/api/v1/shipments/bulk", json={"shipments": [shipment_json(r) for r in refs]})
        seen, cursor = [], ""
        while True:
            page = api.get("/api/v1/shipments", params={"limit": 2, "cursor": cursor}).json()
            seen += [s["order_ref"] for s in page["items"]]
            if not page["next_cursor"]:
                break
            cursor = page["next_cursor"]
        assert sorted(seen) == refs
        assert api.get("/api/v1/shipments", params={"status": "delivered"}).json()["items"] == []
        assert api.get("/api/v1/shipments", params={"status": "flying"}).status_code == 400
        future = api.get("/api/v1/shipments", params={"updated_since": 9_999_999_999_999})
        assert future.json()["items"] == []


async def test_cancel_and_returns_follow_the_lifecycle(
    central: Central, names: Names, tmp_path: Path
):
    _, token = central.enrol("merchant", merchant_id=names.merchant)
    with central.api(token) as api:
        sold = [{"sku": "SKU-1", "quantity": 2}]
        refs = [shipment_json(r, depot_id=names.depot, items=sold) for r in ("C-1", "C-2")]
        results = api.post("/api/v1/shipments/bulk", json={"shipments": refs}).json()["results"]
        to_cancel, to_deliver = (r["id"] for r in results)
        cancelled = api.post(f"/api/v1/shipments/{to_cancel}/cancel", json={"reason": "oops"})
        assert cancelled.json()["status"] == "cancelled"
        early = api.post(
            "/api/v1/returns", json={"shipment_id": to_deliver, "items": [{"sku": "X"}]}
        )
        assert early.status_code == 409
    await deliver(central, names, tmp_path, to_deliver)
    with central.api(token) as api:
        late = api.post(f"/api/v1/shipments/{to_deliver}/cancel")
        assert late.status_code == 409
        assert "delivered" in late.json()["detail"]
        rma = api.post(
            "/api/v1/returns",
            json={"shipment_id": to_deliver, "items": [{"sku": "SKU-1", "quantity": 2}]},
        )
        assert rma.status_code == 201
        fetched = api.get(f"/api/v1/returns/{rma.json()['id']}").json()
    assert fetched["status"] == "requested"
    assert fetched["items"] == [{"sku": "SKU-1", "quantity": 2, "grade": None, "disposition": None}]


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    with running(Receiver(fail=2)) as hook:
        yield hook


async def test_webhooks_are_signed_retried_and_delivered(
    central: Central, names: Names, receiver: Receiver
):
    _, token = central.enrol("merchant", merchant_id=names.merchant)
    with central.api(token) as api:
        hook = api.post("/api/v1/webhooks", json={"url": receiver.url}).json()
        created = api.post("/api/v1/shipments", json=shipment_json("W-1")).json()
    with anyio.fail_after(15):
        first = await anyio.to_thread.run_sync(receiver.wait_for, 1)
    assert first[0]["event"] == "shipment.status_changed"
    assert first[0]["data"]["status"] == "created"
    headers, body = receiver.requests[2]
    assert headers["X-Parcelsync-Attempt"] == "3"
    stamp = headers["X-Parcelsync-Signature"].split(",", 1)[0].removeprefix("t=")
    signed = stamp.encode() + b"." + body
    expected = hmac.new(hook["secret"].encode(), signed, hashlib.sha256).hexdigest()
    assert headers["X-Parcelsync-Signature"] == f"t={stamp},v1={expected}"
    with central.api(token) as api:
        api.post(f"/api/v1/shipments/{created['id']}/cancel")
    with anyio.fail_after(15):
        both = await anyio.to_thread.run_sync(receiver.wait_for, 2)
    assert both[1]["data"]["status"] == "cancelled"
    assert both[1]["data"]["previous_status"] == "created"
