"""Shipping labels from the merchant API, against the real central process."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

from protocol.labels import depot_tag, district, sort_code

from .paper_helpers import pdf_text, scanned

if TYPE_CHECKING:
    from .server_fixtures import Central, Names

pytest_plugins = ["tests.server_fixtures"]


def test_sort_code_is_the_depot_tag_and_the_postcode_district():
    assert sort_code("ams1", "1012 AB") == "AMS1-1012"
    assert district("00-916") == "00"
    assert district("  sw1a 1aa") == "SW1A"
    assert district("") == "0000"
    # a UUID is shortened to 4 base32 letters of its SHA-256 (pinned: labels already printed)
    assert depot_tag("0190a1b2-3c4d-7e8f-9a0b-1c2d3e4f5a6b") == "76AN"
    assert depot_tag("0190a1b2-3c4d-7e8f-9a0b-1c2d3e4f5a6b".upper()) == "76AN"


def shipment(ref: str, depot: str, **extra: object) -> dict[str, object]:
    return {
        "order_ref": ref,
        "currency": "PLN",
        "cod_amount": 12550,
        "depot_id": depot,
        "recipient_name": "Łukasz Wójcik",
        "address": "ul. Świętokrzyska 12/4",
        "postcode": "00-916",
        "city": "Warszawa",
        "slot_start": "10:00",
        "slot_end": "12:00",
        "parcels": [{"barcode": f"{ref}-P1", "weight_g": 1250}],
        **extra,
    }


def test_label_pdf_carries_the_tracking_number_and_sort_code(
    central: Central, names: Names, tmp_path: Path
):
    _, token = central.enrol("merchant", merchant_id=names.merchant)
    with central.api(token) as api:
        created = api.post("/api/v1/shipments", json=shipment("L-1", names.depot)).json()
        answer = api.get(f"/api/v1/shipments/{created['id']}/label.pdf")
    assert answer.status_code == 200, answer.text
    assert answer.headers["content-type"] == "application/pdf"
    assert answer.content.startswith(b"%PDF-")
    tracking, code = created["tracking_number"], sort_code(names.depot, "00-916")
    text = pdf_text(answer.content)
    for expected in (tracking, code, "Łukasz Wójcik", "00-916 Warszawa", "COD PLN 125.50"):
        assert expected in text
    assert scanned(answer.content, tmp_path) == sorted([("Code 128", tracking), ("Code 128", code)])


def test_label_is_refused_with_a_reason(central: Central, names: Names):
    _, mine = central.enrol("merchant", merchant_id=names.merchant)
    _, theirs = central.enrol("merchant", merchant_id=names.merchant + "-x")
    _, courier = central.enrol("courier", depot_id=names.depot, courier_id=names.courier)
    with central.api(mine) as api:
        routed = api.post("/api/v1/shipments", json=shipment("R-1", names.depot)).json()
        no_depot = api.post("/api/v1/shipments", json=shipment("R-2", "")).json()
        gone = api.post("/api/v1/shipments", json=shipment("R-3", names.depot)).json()
        assert api.post(f"/api/v1/shipments/{gone['id']}/cancel").status_code == 200
        missing = api.get(f"/api/v1/shipments/{no_depot['id']}/label.pdf")
        assert missing.status_code == 409 and "depot_id" in missing.json()["detail"]
        cancelled = api.get(f"/api/v1/shipments/{gone['id']}/label.pdf")
        assert cancelled.status_code == 409 and "cancelled" in cancelled.json()["detail"]
        assert api.get("/api/v1/shipments/no-such-id/label.pdf").status_code == 404
    with central.api(theirs) as api:
        assert api.get(f"/api/v1/shipments/{routed['id']}/label.pdf").status_code == 404
    with central.api(courier) as api:
        assert api.get(f"/api/v1/shipments/{routed['id']}/label.pdf").status_code == 403
    with central.api() as office:
        assert office.get(f"/api/v1/shipments/{routed['id']}/label.pdf").status_code == 200
