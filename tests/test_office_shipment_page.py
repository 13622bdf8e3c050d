"""The per-shipment office page over HTTP: links to it, what it shows, resolving a conflict.

A courier delivers a 20.00 COD parcel and records the collection twice (a
``double_collection`` conflict); head office opens the parcel from the
shipments table and resolves the conflict with the page's form, through its
session; bad forms get an HTML page naming the field and change nothing.
"""

from __future__ import annotations

import html
from pathlib import Path
from typing import TYPE_CHECKING, Any

import httpx

from protocol.commands import DocCommand

from .browser.world import (
    CSRF_FIELD,
    Door,
    create_shipment,
    csrf_token,
    office_session,
    push_as_courier,
    route_on_days,
    tampered,
    token_in,
)
from .server_helpers import office_rows

if TYPE_CHECKING:
    from .server_fixtures import Central, Names

pytest_plugins = ["tests.server_fixtures"]


async def _paid_twice(central: Central, names: Names, tmp_path: Path) -> dict[str, Any]:
    shipment = create_shipment(central, names, "page-1", cod_amount=2000, items=[{"sku": "K"}])
    await route_on_days(central, names, tmp_path, {shipment["id"]: "2026-01-05"})

    def door(device_id: str) -> list[tuple[str, DocCommand]]:
        d = Door(device_id, names.courier)
        events = [d.out(), d.delivered(), d.cod(2000), d.cod(2000, method="card")]
        return [(shipment["id"], DocCommand.build("door", "shipment", events))]

    await push_as_courier(central, names, tmp_path, door)
    return shipment


def _open_conflicts(central: Central, names: Names) -> list[dict[str, Any]]:
    return office_rows(central, "conflicts", merchant=names.merchant)


def _alert(answer: httpx.Response) -> str:
    assert answer.headers["content-type"].startswith("text/html"), answer.text
    return html.unescape(answer.text.split('role="alert"', 1)[1].split("</p>", 1)[0])


async def test_the_shipment_page_shows_info_history_ledger_and_conflicts(
    central: Central, names: Names, tmp_path: Path
) -> None:
    shipment = await _paid_twice(central, names, tmp_path)
    page_path = f"/office/shipments/{shipment['id']}"
    with office_session(central) as client:
        table = client.get("/office/tables/shipments", params={"merchant": names.merchant})
        conflicts = client.get("/office/tables/conflicts", params={"merchant": names.merchant})
        page = client.get(page_path)
        missing = client.get("/office/shipments/no-such-doc")
    assert f'href="{page_path}"' in table.text and f'href="{page_path}"' in conflicts.text
    assert page.status_code == 200
    for text in (
        shipment["tracking_number"],
        "Delivered to the recipient.",
        "Payment received at the door.",
        "<dt>Expected</dt><dd>EUR 20.00</dd>",
        "<dt>Collected</dt><dd>EUR 20.00</dd>",  # once: the second one is in suspense
        "<dt>Outstanding</dt><dd>EUR 0.00</dd>",
        "<dt>Frozen</dt><dd>yes</dd>",
        "double_collection",
        names.courier,
    ):
        assert text in page.text, text
    (conflict,) = _open_conflicts(central, names)
    assert f'data-conflict="{conflict["conflict_id"]}"' in page.text
    assert missing.status_code == 404 and "doc_id: no shipment" in _alert(missing)


async def test_resolving_from_the_page_needs_a_session_a_csrf_token_and_a_note(
    central: Central, names: Names, tmp_path: Path
) -> None:
    shipment = await _paid_twice(central, names, tmp_path)
    (conflict,) = _open_conflicts(central, names)
    page_path = f"/office/shipments/{shipment['id']}"
    action = f"{page_path}/resolve"
    ids = {"conflict_doc": shipment["id"], "conflict_id": conflict["conflict_id"]}
    async with httpx.AsyncClient(base_url=central.url, timeout=10) as anonymous:
        foreign = token_in(await anonymous.get("/office/login"))  # another browser's token
        form = ids | {"note": "refunded", CSRF_FIELD: foreign}
        no_session = await anonymous.post(action, data=form)
    assert no_session.status_code == 401
    with office_session(central) as client:
        token = csrf_token(client, page_path)
        assert f'name="{CSRF_FIELD}" value="{token}"' in client.get(page_path).text
        refused = [
            client.post(action, data=ids | {"note": "refunded", CSRF_FIELD: wrong})
            for wrong in ("", foreign, tampered(token))
        ]
        refused.append(client.post(action, data=ids | {"note": "refunded the card payment"}))
        form = ids | {CSRF_FIELD: token}
        no_note = client.post(action, data=form | {"note": "  "})
        bad_status = client.post(action, data=form | {"note": "x", "status": "teleported"})
        other = client.post(action, data=form | {"conflict_id": "nope", "note": "x"})
        assert _open_conflicts(central, names) == [conflict]  # nothing changed
        done = client.post(action, data=form | {"note": "refunded the card payment"})
        again = client.post(action, data=form | {"note": "once more"})
        page = client.get(done.headers["location"])
    for answer in refused:
        assert answer.status_code == 403 and "CSRF" in _alert(answer)
    assert no_note.status_code == 400 and "note" in _alert(no_note)
    assert bad_status.status_code == 400 and "status" in _alert(bad_status)
    assert other.status_code == 404 and "conflict_id" in _alert(other)
    assert (done.status_code, done.headers["location"]) == (
        303,
        f"/office/shipments/{shipment['id']}",
    )
    assert again.status_code == 404
    assert _open_conflicts(central, names) == []
    assert "No open conflicts." in page.text and 'data-event="conflict_resolved"' in page.text


async def test_a_return_id_leads_to_its_shipment_page(
    central: Central, names: Names, tmp_path: Path
) -> None:
    shipment = await _paid_twice(central, names, tmp_path)
    _, merchant_token = central.enrol("merchant", merchant_id=names.merchant)
    with central.api(merchant_token) as api:
        answer = api.post(
            "/api/v1/returns",
            json={"shipment_id": shipment["id"], "items": [{"sku": "K", "quantity": 1}]},
        )
    assert answer.status_code == 201, answer.text
    with office_session(central) as client:
        hop = client.get(f"/office/shipments/{answer.json()['id']}")
        page = client.get(hop.headers["location"])
    assert (hop.status_code, hop.headers["location"]) == (
        303,
        f"/office/shipments/{shipment['id']}",
    )
    assert answer.json()["id"] in page.text


async def test_head_office_refunds_the_second_collection_from_the_page(
    central: Central, names: Names, tmp_path: Path
) -> None:
    shipment = await _paid_twice(central, names, tmp_path)
    (extra,) = office_rows(
        central, "discrepancies", kind="double_collection", merchant=names.merchant
    )
    page_path = f"/office/shipments/{shipment['id']}"
    with office_session(central) as client:
        token = csrf_token(client, page_path)
        page = client.get(page_path).text
        assert 'class="reverse"' in page
        (card,) = [e for e in extra["event_ids"].split() if f"{e} (EUR 2000 minor, card)" in page]
        form = {"entry_id": card, "reason": "card refunded", CSRF_FIELD: token}
        form |= {"discrepancy": extra["discrepancy_id"]}
        too_much = client.post(f"{page_path}/reverse", data=form | {"amount": "2001"})
        done = client.post(f"{page_path}/reverse", data=form | {"amount": "2000"})
    assert too_much.status_code == 409 and "more than" in _alert(too_much)
    assert done.status_code == 303
    assert (
        office_rows(central, "discrepancies", kind="double_collection", merchant=names.merchant)
        == []
    )
