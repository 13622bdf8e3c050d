"""Refund approval over the wire: a real central, a real depot replica grading the
return, a real receiver on 127.0.0.1, and the merchant approving through the API."""

from __future__ import annotations

import hashlib
import hmac
import sqlite3
from pathlib import Path
from typing import TYPE_CHECKING

import anyio
import msgspec

from protocol.events import ItemInspection
from protocol.vocab import Disposition, Grade

from .return_helpers import grade_return, of_kind
from .server_helpers import deliver, shipment_json
from .webhook_receiver import Receiver, running

if TYPE_CHECKING:
    from .server_fixtures import Central, Names

pytest_plugins = ["tests.server_fixtures"]


def _signature(secret: str, header: str, body: bytes) -> str:
    """The header a request stamped as ``header`` says must carry for ``body``."""
    stamp = header.split(",", 1)[0].removeprefix("t=")
    mac = hmac.new(secret.encode(), stamp.encode() + b"." + body, hashlib.sha256).hexdigest()
    return f"t={stamp},v1={mac}"


def _signed(hook: Receiver, envelope_id: str, secret: str) -> bool:
    """Every request carrying ``envelope_id`` has a valid timestamped HMAC of its raw body."""
    with hook.changed:
        sent = [(h, b) for h, b in hook.requests if msgspec.json.decode(b)["id"] == envelope_id]
    return bool(sent) and all(
        h["X-Parcelsync-Signature"] == _signature(secret, h["X-Parcelsync-Signature"], b)
        for h, b in sent
    )


def _queued(db_path: Path, event: str, mentioning: str) -> int:
    """How many deliveries of ``event`` whose body mentions ``mentioning`` were queued."""
    with sqlite3.connect(f"file:{db_path}?mode=ro", uri=True) as db:
        (count,) = db.execute(
            "SELECT count(*) FROM webhook_queue WHERE event = ? AND instr(CAST(body AS TEXT), ?)",
            (event, mentioning),
        ).fetchone()
    return int(count)


PRICED_ITEMS = [
    {"sku": "SKU-1", "quantity": 2, "unit_price": 1250},
    {"sku": "SKU-2", "quantity": 1, "unit_price": 4000},
]
GRADED = (
    ItemInspection(sku="SKU-1", grade=Grade.SELLABLE, disposition=Disposition.RESTOCK, quantity=2),
    ItemInspection(sku="SKU-2", grade=Grade.DAMAGED, disposition=Disposition.DISPOSE),
)


async def test_refund_approval_is_sent_once_and_the_merchant_approves_it(
    central: Central, names: Names, tmp_path: Path
):
    with running(Receiver(fail=0, fail_each=1)) as hook:
        _, token = central.enrol("merchant", merchant_id=names.merchant)
        with central.api(token) as api:
            secret = api.post("/api/v1/webhooks", json={"url": hook.url}).json()["secret"]
            order = shipment_json("RF-1", depot_id=names.depot, items=PRICED_ITEMS)
            shipment_id = api.post("/api/v1/shipments", json=order).json()["id"]
        await deliver(central, names, tmp_path, shipment_id)
        with central.api(token) as api:
            asked = [{"sku": "SKU-1", "quantity": 2}, {"sku": "SKU-2"}]
            rma = api.post("/api/v1/returns", json={"shipment_id": shipment_id, "items": asked})
            return_id = rma.json()["id"]
            assert rma.json()["refund_recommendation"] is None
            early = api.post(f"/api/v1/returns/{return_id}/refund", json={"amount": 100})
            assert early.status_code == 409
        await grade_return(central, names, tmp_path, return_id, GRADED)
        with anyio.fail_after(20):
            await anyio.to_thread.run_sync(
                hook.wait_until, lambda h: of_kind(h, "return.refund_approval")
            )
        [approval] = of_kind(hook, "return.refund_approval")
        assert hook.attempts(approval["id"]) == ["1", "2"]
        assert _signed(hook, approval["id"], secret)
        with central.api(token) as api:
            refund = f"/api/v1/returns/{return_id}/refund"
            for bad in (0, -5, 2501, "ten"):
                answer = api.post(refund, json={"amount": bad})
                assert answer.status_code == 400, answer.text
                assert "amount" in answer.text
            unchanged = api.get(f"/api/v1/returns/{return_id}").json()
            assert (unchanged["status"], unchanged["refunded"]) == ("inspected", 0)
            approved = api.post(refund, json={"amount": 2500})
            again = api.post(refund, json={"amount": 1})
            fetched = api.get(f"/api/v1/returns/{return_id}").json()
            # A later change: once its delivery arrives, the refund was scanned too.
            later = api.post("/api/v1/shipments", json=shipment_json("RF-2")).json()["id"]
        with anyio.fail_after(20):
            await anyio.to_thread.run_sync(
                hook.wait_until,
                lambda h: any(
                    d["data"].get("shipment_id") == later
                    for d in of_kind(h, "shipment.status_changed")
                ),
            )
        approvals = of_kind(hook, "return.refund_approval")
    lines = [
        {
            "sku": "SKU-1",
            "quantity": 2,
            "grade": "sellable",
            "disposition": "restock",
            "unit_price": 1250,
            "refund": 2500,
            "reason": "",
        },
        {
            "sku": "SKU-2",
            "quantity": 1,
            "grade": "damaged",
            "disposition": "dispose",
            "unit_price": 4000,
            "refund": 0,
            "reason": "damaged on inspection",
        },
    ]
    assert approval["data"] == {
        "return_id": return_id,
        "shipment_id": shipment_id,
        "order_ref": "RF-1",
        "items": lines,
        "total": 2500,
        "currency": "EUR",
    }
    assert approved.status_code == 200, approved.text
    assert (approved.json()["status"], approved.json()["refunded"]) == ("completed", 2500)
    assert again.status_code == 409
    assert (fetched["status"], fetched["refunded"]) == ("completed", 2500)
    assert fetched["refund_recommendation"] == {"items": lines, "total": 2500, "currency": "EUR"}
    assert approvals == [approval]
    assert _queued(central.db_path, "return.refund_approval", return_id) == 1


async def test_only_the_owning_merchant_may_refund(central: Central, names: Names, tmp_path: Path):
    _, token = central.enrol("merchant", merchant_id=names.merchant)
    _, other = central.enrol("merchant", merchant_id=names.merchant + "-other")
    with central.api(token) as api:
        order = shipment_json("RF-3", depot_id=names.depot, items=PRICED_ITEMS)
        shipment_id = api.post("/api/v1/shipments", json=order).json()["id"]
    await deliver(central, names, tmp_path, shipment_id)
    with central.api(token) as api:
        rma = api.post(
            "/api/v1/returns", json={"shipment_id": shipment_id, "items": [{"sku": "SKU-1"}]}
        )
    return_id = rma.json()["id"]
    await grade_return(central, names, tmp_path, return_id)
    with central.api(other) as api:
        stranger = api.post(f"/api/v1/returns/{return_id}/refund", json={"amount": 1250})
    with central.api(token) as api:
        fetched = api.get(f"/api/v1/returns/{return_id}").json()
    assert stranger.status_code == 404
    assert (fetched["status"], fetched["refunded"]) == ("inspected", 0)
    assert fetched["refund_recommendation"]["total"] == 1250


async def test_refund_approval_waits_until_the_graded_return_is_also_received(
    central: Central, names: Names, tmp_path: Path
):
    with running(Receiver(fail=0)) as hook:
        _, token = central.enrol("merchant", merchant_id=names.merchant)
        with central.api(token) as api:
            api.post("/api/v1/webhooks", json={"url": hook.url}).raise_for_status()
            order = shipment_json("RF-4", depot_id=names.depot, items=PRICED_ITEMS)
            shipment_id = api.post("/api/v1/shipments", json=order).json()["id"]
        await deliver(central, names, tmp_path, shipment_id)
        with central.api(token) as api:
            rma = api.post(
                "/api/v1/returns", json={"shipment_id": shipment_id, "items": [{"sku": "SKU-2"}]}
            )
        return_id = rma.json()["id"]
        await grade_return(central, names, tmp_path, return_id, GRADED[1:], received=False)
        with anyio.fail_after(20):
            await anyio.to_thread.run_sync(hook.wait_until, lambda h: of_kind(h, "return.graded"))
        # Queued in the same transaction as return.graded, had it been due.
        assert _queued(central.db_path, "return.refund_approval", return_id) == 0
        later = tmp_path / "later"
        later.mkdir()
        await grade_return(central, names, later, return_id, graded=False)
        with anyio.fail_after(20):
            await anyio.to_thread.run_sync(
                hook.wait_until, lambda h: of_kind(h, "return.refund_approval")
            )
        [approval] = of_kind(hook, "return.refund_approval")
    assert approval["data"]["return_id"] == return_id
    assert (approval["data"]["total"], approval["data"]["items"][0]["refund"]) == (0, 0)
    assert approval["data"]["items"][0]["reason"] == "damaged on inspection"
