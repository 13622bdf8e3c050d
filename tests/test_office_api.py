"""The office JSON API over the wire against the real central process.

A courier delivers three COD parcels (one exact, one short, one collected
twice by card), hands the cash over, the depot desk counts it short; head
office sets fee terms, reads the tables, remits the merchant, resolves the
conflict; a merchant reads its own stock.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

import msgspec
import pytest

from protocol.commands import DocCommand
from protocol.events import (
    BatchPayload,
    CashCollected,
    CashCounted,
    CashDeposited,
    CashHandedOver,
    CodCollected,
    CodCollectedPayload,
    CollectedPayload,
    CountPayload,
    Event,
    HandoverPayload,
    ItemInspection,
    ItemsInspected,
    Restocked,
    ReturnReceived,
    StockMovement,
)
from protocol.ids import named_id, new_id
from protocol.info import CashBookInfo

from .server_helpers import clock, delivery_events, node, office_rows, push_all, routed, seed, stamp

if TYPE_CHECKING:
    from .server_fixtures import Central, Names

pytest_plugins = ["tests.server_fixtures"]


@pytest.fixture(scope="module")
def central(central_each: Central) -> Central:
    """Every test here runs on SQLite and on PostgreSQL with 2 workers."""
    return central_each


def _door(hh_id: str, names: Names, ids: list[str]) -> list[tuple[str, DocCommand]]:
    """s0 paid exactly, s1 short by 100, s2 paid twice by card."""
    hlc = clock(hh_id)
    commands = [
        (
            ids[0],
            DocCommand.build("deliver", "shipment", delivery_events(hh_id, names.courier, 1000)),
        ),
        (ids[1], DocCommand.build("deliver", "shipment", _short(hh_id, names, 901))),
    ]
    twice: list[Event] = delivery_events(hh_id, names.courier, 1002)
    card = CodCollectedPayload(amount=1002, currency="EUR", method="card")
    twice.append(CodCollected(**stamp(hh_id, names.courier, hlc), payload=card))
    commands.append((ids[2], DocCommand.build("deliver", "shipment", twice)))
    return commands


def _short(hh_id: str, names: Names, amount: int) -> list[Event]:
    """Delivered, with less COD collected than expected and the courier's reason."""
    *door, cod = delivery_events(hh_id, names.courier, amount)
    assert isinstance(cod, CodCollected)
    reason = msgspec.structs.replace(cod.payload, reason="recipient paid short")
    return [*door, msgspec.structs.replace(cod, payload=reason)]


def _cash_book(
    hh_id: str, names: Names, ids: list[str], handover: str, day: str
) -> tuple[str, DocCommand]:
    hlc = clock(hh_id)
    events: list[Event] = [
        CashCollected(
            **stamp(hh_id, names.courier, hlc),
            payload=CollectedPayload(amount=amount, currency="EUR", shipment_id=sid),
        )
        for sid, amount in ((ids[0], 1000), (ids[1], 901))
    ]
    pay = HandoverPayload(amount=1901, currency="EUR", handover_id=handover, depot_id=names.depot)
    events.append(CashHandedOver(**stamp(hh_id, names.courier, hlc), payload=pay))
    info = {
        "owner_kind": "courier",
        "owner_id": names.courier,
        "day": day,
        "currency": "EUR",
        "depot_id": names.depot,
        "courier_id": names.courier,
    }
    book_id = named_id("cashbook", names.courier, day)
    return book_id, DocCommand.build("collect", "cashbook", events, info=info)


async def _a_day(
    central: Central, names: Names, tmp_path: Path, day: str
) -> tuple[list[str], str, str]:
    ids = await seed(central, names, 3)
    depot_id, depot_token = await routed(central, names, tmp_path, ids)
    hh_id, hh_token = central.enrol("courier", depot_id=names.depot, courier_id=names.courier)
    handover = new_id()
    async with node(central, tmp_path / "hh.db", hh_id, hh_token) as handheld:
        await handheld.sync()
        await push_all(
            handheld, [*_door(hh_id, names, ids), _cash_book(hh_id, names, ids, handover, day)]
        )
    async with node(central, tmp_path / "depot.db", depot_id, depot_token) as depot:
        await depot.sync()
        pay = CountPayload(amount=1851, currency="EUR", handover_id=handover, depot_id=names.depot)
        count = CashCounted(**stamp(depot_id, depot_id, clock(depot_id)), payload=pay)
        book_id = named_id("cashbook", names.courier, day)
        banked = BatchPayload(amount=1851, currency="EUR", batch_id=new_id())
        deposit = CashDeposited(**stamp(depot_id, depot_id, clock(depot_id)), payload=banked)
        info = CashBookInfo("depot", names.depot, day, "EUR", names.depot)
        desk_book = named_id("cashbook", "depot", names.depot, day)
        desk = DocCommand.build("deposit", "cashbook", [deposit], info=msgspec.to_builtins(info))
        await push_all(
            depot, [(book_id, DocCommand.build("count", "cashbook", [count])), (desk_book, desk)]
        )
    return ids, hh_id, hh_token


async def test_reconciliation_remittance_and_conflicts_over_the_wire(
    central: Central, names: Names, tmp_path: Path
) -> None:
    today = central.today().isoformat()
    ids, hh_id, hh_token = await _a_day(central, names, tmp_path, today)
    with central.api() as api:
        terms = {"fee_percent_bp": 200, "fee_fixed_minor": 10}
        answer = api.put(f"/api/v1/office/merchants/{names.merchant}/terms", json=terms)
        assert answer.status_code == 200, answer.text

    cod = {r["doc_id"]: r for r in office_rows(central, "cod", merchant=names.merchant)}
    assert [cod[i]["collected"] for i in ids] == [1000, 901, 1002]  # the second card: suspense
    assert [cod[i]["outstanding"] for i in ids] == [0, 100, 0]
    assert cod[ids[0]]["handover_id"] == cod[ids[1]]["handover_id"] != ""
    short = office_rows(central, "discrepancies", merchant=names.merchant, kind="short_collection")
    assert [(r["doc_id"], r["amount"]) for r in short] == [(ids[1], -100)]
    desk = office_rows(central, "discrepancies", kind="count_mismatch", who=f"depot:{names.depot}")
    assert [r["amount"] for r in desk] == [-50]
    (depot,) = office_rows(central, "depots", depot=names.depot)
    assert (depot["handed_over"], depot["counted"], depot["discrepancy"]) == (1901, 1851, -50)

    # fee on 1000: 20 + 10; the short and the double-paid parcels are in dispute: frozen;
    # the deposit of 1851 banks the 1000 (first counted), not the 901 (851 left)
    (statement,) = office_rows(
        central, "merchants", merchant=names.merchant, **{"from": today, "to": today}
    )
    assert (statement["delivered_cod"], statement["fees"], statement["frozen"]) == (2903, 30, 1903)
    assert (statement["payable"], statement["payable_now"], statement["final"]) == (970, 970, "no")

    body = {"merchant_id": names.merchant, "from": today, "to": today}
    with central.api() as api:
        first = api.post("/api/v1/office/remittances", json=body)
        again = api.post("/api/v1/office/remittances", json=body)
    assert first.status_code == 201, first.text
    (batch,) = first.json()
    assert (batch["amount"], batch["shipment_ids"]) == (970, [ids[0]])
    assert again.status_code == 409 and "nothing to remit" in again.text
    paid = office_rows(central, "remittances", merchant=names.merchant)
    assert [(r["batch_id"], r["amount"]) for r in paid] == [(batch["batch_id"], 970)]
    (statement,) = office_rows(central, "merchants", merchant=names.merchant)
    assert (statement["remitted"], statement["payable_now"], statement["final"]) == (970, 0, "yes")

    (conflict,) = [
        c
        for c in office_rows(central, "conflicts", merchant=names.merchant)
        if c["kind"] == "double_collection"
    ]
    path = f"/api/v1/office/conflicts/{ids[2]}/{conflict['conflict_id']}/resolve"
    with central.api() as api:
        assert api.post(path, json={"note": ""}).status_code == 400  # note is required
        resolved = api.post(path, json={"note": "card refunded once"})
        twice = api.post(path, json={"note": "again"})
    assert resolved.status_code == 201, resolved.text
    assert twice.status_code == 404
    left = [c["conflict_id"] for c in office_rows(central, "conflicts", merchant=names.merchant)]
    assert conflict["conflict_id"] not in left
    async with node(central, tmp_path / "hh.db", hh_id, hh_token) as handheld:
        await handheld.sync()
        rows = await handheld.store.query(
            "SELECT resolved FROM p_conflicts WHERE doc_id = ? AND conflict_id = ?",
            (ids[2], conflict["conflict_id"]),
        )
    assert rows == [(1,)]


async def test_bad_input_is_a_4xx_naming_the_field_and_changes_nothing(
    central: Central, names: Names
) -> None:
    with central.api() as api:
        ok = api.put(
            f"/api/v1/office/merchants/{names.merchant}/terms", json={"fee_percent_bp": 150}
        )
        bad = api.put(
            f"/api/v1/office/merchants/{names.merchant}/terms", json={"fee_percent_bp": 10_001}
        )
        dates = api.post(
            "/api/v1/office/remittances",
            json={"merchant_id": names.merchant, "from": "2026-02-01", "to": "2026-01-01"},
        )
        unknown = api.get("/api/v1/office/tables/nope")
        bad_filter = api.get("/api/v1/office/tables/cod", params={"colour": "red"})
        bad_day = api.get("/api/v1/office/tables/merchants", params={"from": "yesterday"})
    assert ok.status_code == 200
    assert bad.status_code == 400 and "fee_percent_bp" in bad.text
    assert dates.status_code == 400 and "from" in dates.text
    assert unknown.status_code == 404 and "nope" in unknown.text
    assert bad_filter.status_code == 400 and "colour" in bad_filter.text
    assert bad_day.status_code == 400 and "from" in bad_day.text
    _, merchant_token = central.enrol("merchant", merchant_id=names.merchant)
    with central.api(merchant_token) as api:
        assert api.get("/api/v1/office/overview").status_code == 403
    with central.api() as api:
        overview = api.get("/api/v1/office/overview")
    assert overview.status_code == 200 and overview.json()["as_of_seq"] > 0
    terms = {r["merchant_id"]: r for r in office_rows(central, "merchants")}
    assert names.merchant not in terms or terms[names.merchant]["fee_percent_bp"] == 150


async def test_merchant_sees_its_own_stock(central: Central, names: Names, tmp_path: Path) -> None:
    ids = await seed(central, names, 1, [{"sku": "SKU-9", "quantity": 2}])
    depot_id, depot_token = await routed(central, names, tmp_path, ids)
    hh_id, hh_token = central.enrol("courier", depot_id=names.depot, courier_id=names.courier)
    async with node(central, tmp_path / "hh.db", hh_id, hh_token) as handheld:
        await handheld.sync()
        events = delivery_events(hh_id, names.courier, 1000)
        await push_all(handheld, [(ids[0], DocCommand.build("deliver", "shipment", events))])
    _, merchant_token = central.enrol("merchant", merchant_id=names.merchant)
    _, other_token = central.enrol("merchant", merchant_id=names.merchant + "-other")
    with central.api(merchant_token) as api:
        answer = api.post(
            "/api/v1/returns",
            json={"shipment_id": ids[0], "items": [{"sku": "SKU-9", "quantity": 2}]},
        )
    assert answer.status_code == 201, answer.text
    return_id = answer.json()["id"]
    hlc = clock(depot_id)
    grade = ItemInspection(sku="SKU-9", grade="sellable", disposition="restock", quantity=2)
    events = [
        ReturnReceived(**stamp(depot_id, depot_id, hlc), payload=ReturnReceived.Body(names.depot)),
        ItemsInspected(**stamp(depot_id, depot_id, hlc), payload=ItemsInspected.Body([grade])),
        Restocked(**stamp(depot_id, depot_id, hlc), payload=StockMovement("SKU-9", 2, names.depot)),
    ]
    async with node(central, tmp_path / "depot.db", depot_id, depot_token) as depot:
        await depot.sync()
        await push_all(depot, [(return_id, DocCommand.build("grade", "return", events))])
    with central.api(merchant_token) as api:
        mine = api.get("/api/v1/stock").json()
    with central.api(other_token) as api:
        theirs = api.get("/api/v1/stock", params={"merchant_id": names.merchant}).json()
    assert mine == [
        {"merchant_id": names.merchant, "depot_id": names.depot, "sku": "SKU-9", "quantity": 2}
    ]
    assert theirs == []
