"""Reorder suggestions over the wire: ``GET /api/v1/stock/reorder`` and ``/office/reorder``.

Central's file is seeded with months-old stock movements of known shape (the
sync path would refuse HLCs that far from its clock), then a real central
process serves it; every request names ``as_of`` so the answer is the same on
any day.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import html
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING

import pytest

from protocol.commands import DocCommand
from protocol.events import Dispatched, Event, Restocked, ReturnRequested, StockMovement
from protocol.hlc import HybridClock
from protocol.ids import new_id
from server.store import CentralStore
from sync import commit_commands

from .browser.world import office_session

if TYPE_CHECKING:
    from .server_fixtures import Central

pytest_plugins = ["tests.server_fixtures"]
AS_OF = "2031-03-10"
M, OTHER, D1, D2 = "M-reorder", "M-other", "D-north", "D-south"


def at(day: int) -> str:
    """An HLC at noon UTC on March ``day``, 2031."""
    ms = int(dt.datetime(2031, 3, day, 12, tzinfo=dt.UTC).timestamp() * 1000)
    return HybridClock("seed", lambda: ms).now().encode()


def move(kind: type[Event], day: int, sku: str, quantity: int, depot: str = D1) -> Event:
    body = StockMovement(sku=sku, quantity=quantity, depot_id=depot)
    return kind(id=new_id(), hlc=at(day), device="seed", actor="desk", payload=body)


def a_return(merchant: str, events: list[Event]) -> tuple[str, DocCommand]:
    info = {"shipment_id": new_id(), "merchant_id": merchant, "currency": "EUR"}
    requested = ReturnRequested(id=new_id(), hlc=at(1), device="seed", actor="merchant")
    return new_id(), DocCommand.build("seed", "return", [requested, *events], info=info)


async def seed(path: Path) -> None:
    steady = [move(Restocked, 1, "STEADY", 100)]
    steady += [move(Dispatched, d, "STEADY", 3) for d in range(1, 11)]
    steady.append(move(Dispatched, 12, "STEADY", 50))  # after as_of: not yet happened
    sporadic = [
        move(Restocked, 1, "SPORADIC", 20),
        *(move(Dispatched, d, "SPORADIC", 4) for d in (4, 8)),
    ]
    south = [move(Restocked, 5, "STEADY", 9, D2)]
    theirs = [move(Restocked, 1, "SECRET", 5), move(Dispatched, 2, "SECRET", 5)]
    commands = [
        a_return(M, steady),
        a_return(M, sporadic),
        a_return(M, south),
        a_return(OTHER, theirs),
    ]
    async with await CentralStore.open(path) as store:
        await commit_commands(store, commands, device_id="seed", queue=False)


@pytest.fixture(scope="module")
def stocked(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Central]:
    from .server_fixtures import start_central, stop_central  # a plugin: import late

    path = tmp_path_factory.mktemp("reorder") / "central.db"
    asyncio.run(seed(path))
    server = start_central(path)
    yield server
    stop_central(server)


def rows(central: Central, token: str | None = None, **params: object) -> list[dict[str, object]]:
    with central.api(token) as api:
        answer = api.get("/api/v1/stock/reorder", params={"as_of": AS_OF, **params})
    assert answer.status_code == 200, answer.text
    return answer.json()


def test_merchant_sees_its_suggestions_worked_out_by_hand(stocked: Central):
    _, token = stocked.enrol("merchant", merchant_id=M)
    by_key = {(r["depot_id"], r["sku"]): r for r in rows(stocked, token, review_days=14)}
    assert set(by_key) == {(D1, "STEADY"), (D1, "SPORADIC"), (D2, "STEADY")}
    steady = by_key[D1, "STEADY"]
    # 3 a day for 10 days (SES of a constant: 3, no error); 100 - 30 = 70 on hand
    assert (steady["method"], steady["daily_demand"], steady["on_hand"]) == ("ses", 3.0, 70)
    assert (steady["days_of_cover"], steady["stockout_date"]) == (23.3, "2031-04-03")
    assert (steady["safety_stock"], steady["reorder_point"], steady["reorder_quantity"]) == (
        0,
        21,
        0,
    )
    assert steady["alert"] == "" and steady["advice"] == ""
    sporadic = by_key[D1, "SPORADIC"]
    # 4 units every 4th day: SBA 0.95 * 4 / 4 = 0.95 a day; 20 - 8 = 12 on hand
    assert (sporadic["method"], sporadic["daily_demand"], sporadic["on_hand"]) == (
        "croston_sba",
        0.95,
        12,
    )
    assert sporadic["stockout_date"] == "2031-03-23"  # 12 / 0.95 = 12.6 -> 13 days
    south = by_key[D2, "STEADY"]
    assert (south["method"], south["on_hand"], south["stockout_date"]) == ("no_demand", 9, None)


def test_a_long_lead_time_warns_before_the_stock_out(stocked: Central):
    _, token = stocked.enrol("merchant", merchant_id=M)
    (steady,) = rows(stocked, token, lead_time_days=30, review_days=14, sku="STEADY", depot=D1)
    # ROP 3 * 30 = 90 > 70 on hand; 23.3 days of cover < 30: order up to 90 + 42 = 132
    assert (steady["reorder_point"], steady["reorder_quantity"]) == (90, 62)
    assert steady["alert"] == "stockout_within_lead_time"
    assert steady["advice"] == (
        "stock-out forecast on 2031-04-03, inside the 30-day lead time: order 62 now"
    )
    # a day before the first movement there is nothing to suggest
    assert rows(stocked, token, as_of="2031-02-28") == []


def test_reorder_refuses_bad_input_and_other_merchants(stocked: Central):
    _, token = stocked.enrol("merchant", merchant_id=M)
    assert "SECRET" not in {r["sku"] for r in rows(stocked, token)}
    assert [r["sku"] for r in rows(stocked, merchant_id=OTHER)] == ["SECRET"]
    with stocked.api() as office:
        assert office.get("/api/v1/stock/reorder").status_code == 403  # must name merchant_id
    with stocked.api(token) as api:
        for params, field in (
            ({"lead_time_days": 0}, "lead_time_days"),
            ({"review_days": "soon"}, "review_days"),
            ({"service_level": 1}, "service_level"),
            ({"as_of": "10/03/2031"}, "as_of"),
        ):
            answer = api.get("/api/v1/stock/reorder", params=params)
            assert answer.status_code == 400 and field in answer.text, (params, answer.text)


def test_office_page_warns_before_the_forecast_stock_out(stocked: Central):
    with office_session(stocked) as client:
        page = client.get("/office/reorder", params={"as_of": AS_OF, "lead_time_days": 30})
        assert page.status_code == 200, page.text
        text = html.unescape(page.text)
        # within 30 days: STEADY (23.3 days), SPORADIC (12.6 days), SECRET (none left)
        assert 'role="alert"' in text and "3 SKUs will run out" in text
        assert "STEADY at D-north (M-reorder): stock-out forecast on 2031-04-03" in text
        assert "SPORADIC at D-north (M-reorder): stock-out forecast on 2031-03-23" in text
        assert "SECRET at D-north (M-other): out of stock" in text  # the office sees everyone
        mine = {"as_of": AS_OF, "merchant": M}
        calm = html.unescape(client.get("/office/reorder", params=mine).text)
        assert 'role="alert"' not in calm and "SPORADIC" in calm and "SECRET" not in calm
        bad = client.get("/office/reorder", params={"lead_time_days": "-1"})
        assert bad.status_code == 400 and "lead_time_days" in bad.text
