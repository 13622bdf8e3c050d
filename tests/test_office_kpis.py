"""The ``kpis`` office table over the wire, against a small world computed by hand.

Four shipments of the test's merchant at its depot, all on the test's courier:

* s0 - route day tomorrow, slot 09:00-12:00: delivered at the first attempt
  (on time), 10.00 collected; the merchant later opens a return for it;
* s1 - route day yesterday, slot 09:00-12:00: one failed attempt (not home),
  then delivered (late: after yesterday 12:00), 20.00 collected;
* s2 - refused at the door: returning to origin;
* s3 - announced, nothing else (no slot).

So for the depot, the courier and the merchant alike: 4 shipments,
2 delivered, 3 attempted (s2's refusal is an attempt), 1 delivered at the first
attempt (33.3 %), 1 of 2 slotted deliveries on time
(50 %), 1 of 4 returning to origin (25 %), 1 customer return per 2 delivered
(50 %), 30.00 collected and not remitted; after the remittance, 0 outstanding
and the mean seconds from delivery to the remittance batch.
"""

from __future__ import annotations

import csv
import io
from datetime import timedelta
from pathlib import Path
from typing import TYPE_CHECKING, Any

from protocol.commands import DocCommand
from protocol.ledger import hlc_ms

from .browser.world import (
    Door,
    create_shipment,
    office_session,
    push_as_courier,
    route_on_days,
)
from .server_helpers import office_rows

if TYPE_CHECKING:
    from .server_fixtures import Central, Names

pytest_plugins = ["tests.server_fixtures"]

SLOT = {"slot_start": "09:00", "slot_end": "12:00"}


async def _world(central: Central, names: Names, tmp_path: Path) -> list[str]:
    """Four parcels routed tomorrow, yesterday and today by central's clock."""
    today = central.today()
    tomorrow, yesterday = (str(today + timedelta(days=d)) for d in (1, -1))
    made = [
        create_shipment(central, names, "kpi-0", cod_amount=1000, items=[{"sku": "K"}], **SLOT),
        create_shipment(central, names, "kpi-1", cod_amount=2000, **SLOT),
        create_shipment(central, names, "kpi-2", cod_amount=500, **SLOT),
        create_shipment(central, names, "kpi-3"),
    ]
    ids = [m["id"] for m in made]
    days = dict(zip(ids, [tomorrow, yesterday, str(today), str(today)], strict=True))
    await route_on_days(central, names, tmp_path, days)

    def door_events(device_id: str) -> list[tuple[str, DocCommand]]:
        d = Door(device_id, names.courier)
        plan = {
            ids[0]: [d.out(), d.delivered(), d.cod(1000, "card")],  # settled: payable at once
            ids[1]: [d.out(), d.failed("not_home"), d.out(), d.delivered(), d.cod(2000, "card")],
            ids[2]: [d.out(), d.failed("refused")],
        }
        return [(sid, DocCommand.build("door", "shipment", ev)) for sid, ev in plan.items()]

    await push_as_courier(central, names, tmp_path, door_events)
    _, merchant_token = central.enrol("merchant", merchant_id=names.merchant)
    with central.api(merchant_token) as api:
        answer = api.post(
            "/api/v1/returns", json={"shipment_id": ids[0], "items": [{"sku": "K", "quantity": 1}]}
        )
    assert answer.status_code == 201, answer.text
    return ids


def _one_row(central: Central, group: str, key: str) -> dict[str, Any]:
    (row,) = office_rows(central, "kpis", group=group, key=key)
    return row


HAND_COMPUTED = {
    "shipments": 4,
    "delivered": 2,
    "attempted": 3,
    "first_attempt": 1,
    "first_attempt_rate": 1 / 3,
    "with_slot": 2,
    "on_time": 1,
    "on_time_rate": 0.5,
    "returned_to_origin": 1,
    "rto_rate": 0.25,
    "customer_returns": 1,
    "customer_return_rate": 0.5,
    "cod_overdue": 0,
}


async def test_kpis_per_depot_courier_and_merchant_match_the_hand_computed_world(
    central: Central, names: Names, tmp_path: Path
) -> None:
    ids = await _world(central, names, tmp_path)
    keys = {"depot": names.depot, "courier": names.courier, "merchant": names.merchant}
    for group, key in keys.items():
        row = _one_row(central, group, key)
        assert {k: row[k] for k in HAND_COMPUTED} == HAND_COMPUTED, group
        assert (row["cod_outstanding"], row["currency"], row["remitted"]) == (3000, "EUR", 0)
        assert row["avg_remit_seconds"] is None
    assert office_rows(central, "kpis", key=names.depot) == [
        _one_row(central, "depot", names.depot)
    ]

    today = central.today().isoformat()
    body = {"merchant_id": names.merchant, "from": today, "to": today}
    with central.api() as api:
        paid = api.post("/api/v1/office/remittances", json=body)
    assert paid.status_code == 201, paid.text
    (batch,) = paid.json()
    assert sorted(batch["shipment_ids"]) == sorted(ids[:2])
    (remittance,) = office_rows(central, "remittances", merchant=names.merchant)
    delivered = {
        r["doc_id"]: r["delivered_at"]
        for r in office_rows(central, "shipments", merchant=names.merchant)
    }
    waits = [(hlc_ms(remittance["at"]) - hlc_ms(delivered[sid])) // 1000 for sid in ids[:2]]
    row = _one_row(central, "depot", names.depot)
    assert (row["cod_outstanding"], row["remitted"]) == (0, 2)
    assert row["avg_remit_seconds"] == sum(waits) / 2


async def test_kpis_page_csv_and_the_overview_link(
    central: Central, names: Names, tmp_path: Path
) -> None:
    await _world(central, names, tmp_path)
    with office_session(central) as client:
        overview = client.get("/office/")
        page = client.get("/office/tables/kpis", params={"group": "courier", "key": names.courier})
        exported = client.get("/office/tables/kpis.csv", params={"key": names.depot})
        bad = client.get("/office/tables/kpis", params={"group": "planet"})
    assert 'href="/office/tables/kpis">First-attempt delivery</a>' in overview.text
    assert page.status_code == 200
    assert '<option value="courier" selected>courier</option>' in page.text
    assert "50.0 %" in page.text and "25.0 %" in page.text and "EUR 30.00" in page.text
    (line,) = list(csv.DictReader(io.StringIO(exported.text)))
    assert (line["Group"], line["First-attempt rate"], line["Return-to-origin rate"]) == (
        names.depot,
        "33.3",
        "25.0",
    )
    assert (line["COD not remitted"], line["Currency"], line["Delivery to remittance"]) == (
        "30.00",
        "EUR",
        "",
    )
    assert bad.status_code == 400 and bad.headers["content-type"].startswith("text/html")
    assert "filter &#39;group&#39;: &#39;planet&#39; is not one of depot" in bad.text
