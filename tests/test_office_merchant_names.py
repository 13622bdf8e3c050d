"""Merchant names, set with the fee terms, in statements (the id on hover) and CSV (the
id beside). Over the wire."""

from __future__ import annotations

import csv
import html
import io
import re
from typing import TYPE_CHECKING, Any

import httpx

from .browser.world import create_shipment, deliver_on_handheld, office_session, route_to_courier

if TYPE_CHECKING:
    from pathlib import Path

    from .server_fixtures import Central, Names

pytest_plugins = ["tests.server_fixtures"]

NAME = "Tulip & Co <Haarlem>"


def _terms(central: Central, names: Names, **body: Any) -> httpx.Response:
    with central.api() as api:
        answer = api.put(f"/api/v1/office/merchants/{names.merchant}/terms", json=body)
    assert answer.status_code == 200, answer.text
    return answer


def _named(central: Central, table: str, names: Names) -> list[str]:
    with central.api() as api:
        answer = api.get(f"/api/v1/office/tables/{table}", params={"merchant": names.merchant})
    assert answer.status_code == 200, answer.text
    body = answer.json()
    named = body["names"].get("merchant", {})
    return [named.get(names.merchant, "") for _ in body["rows"]]


async def test_the_name_shows_beside_the_id_in_statements_and_csv(
    central: Central, names: Names, tmp_path: Path
) -> None:
    shipment = create_shipment(central, names, "named-1", cod_amount=1500)
    await route_to_courier(central, names, tmp_path, [shipment["id"]])
    await deliver_on_handheld(central, names, tmp_path, shipment["tracking_number"], cod=1500)
    assert _named(central, "merchants", names) == [""]  # no name yet
    set_ = _terms(central, names, fee_percent_bp=100, name=f"  {NAME} ")
    assert set_.json()["name"] == NAME
    kept = _terms(central, names, fee_percent_bp=120)  # terms alone keep the name
    assert kept.json() == {
        "merchant_id": names.merchant,
        "fee_percent_bp": 120,
        "fee_fixed_minor": 0,
        "name": NAME,
    }
    assert _named(central, "merchants", names) == [NAME]
    assert _named(central, "statement", names) == [NAME]
    today = central.today().isoformat()
    with office_session(central) as client:
        page = client.get("/office/tables/merchants", params={"merchant": names.merchant})
        lines = client.get("/office/tables/statement.csv", params={"merchant": names.merchant})
        summary = client.get(
            "/office/tables/merchants.csv",
            params={"merchant": names.merchant, "from": today, "to": today},
        )
    # the name is what the cell reads; the id is on its hover
    named = rf'<td class="text" title="{names.merchant}" data-code="{names.merchant}">'
    assert page.status_code == 200, page.text
    assert re.search(named + re.escape(html.escape(NAME)) + "</td>", page.text), page.text
    for answer in (lines, summary):
        (row,) = list(csv.DictReader(io.StringIO(answer.text)))
        assert (row["Merchant"], row["Merchant id"]) == (NAME, names.merchant)
    _terms(central, names, fee_percent_bp=120, name="")  # an empty name clears it
    assert _named(central, "merchants", names) == [""]
