"""Follow-ups of a shipment over the wire: a real central on 127.0.0.1, real edge nodes.

Holds answered, corrections and requests, the end of a return to origin, lost
and found, attempts per merchant, late slots; each refused with the field named
when it does not apply, and each reaching the courier's handheld through sync.
"""

from __future__ import annotations

import hashlib
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest

from edge import commands as c
from edge.errors import InvalidInput, InvalidTransition, UnknownDocument
from protocol.vocab import Role

from .followup_helpers import Edge, day_after, edge_node

if TYPE_CHECKING:
    from .server_fixtures import Central, Names

pytest_plugins = ["tests.server_fixtures"]


def create(central: Central, token: str, names: Names, ref: str, **extra: Any) -> dict[str, Any]:
    body = {"order_ref": ref, "currency": "EUR", "cod_amount": 2500, "depot_id": names.depot}
    with central.api(token) as api:
        answer = api.post("/api/v1/shipments", json=body | extra)
    assert answer.status_code == 201, answer.text
    created: dict[str, Any] = answer.json()
    return created


def detail(answer: Any) -> str:
    return str(answer.json()["detail"])


async def routed(depot: Edge, shipment_id: str, courier: str, day: str, why: str = "") -> None:
    await depot.sync()
    await c.assign(depot.ctx, shipment_id, courier, day, 1, why)
    await depot.sync()


async def test_a_hold_answered_by_the_merchant_reaches_the_handheld(
    central: Central, names: Names, tmp_path: Path
) -> None:
    merchant_dev, token = central.enrol("merchant", merchant_id=names.merchant)
    _, other = central.enrol("merchant", merchant_id=names.merchant + "-x")
    today = central.today()
    sid = create(central, token, names, "H-1", address="Damrak 1", city="Amsterdam")["id"]
    async with (
        edge_node(central, names, tmp_path / "depot.db", Role.DEPOT) as depot,
        edge_node(central, names, tmp_path / "hh.db", Role.COURIER, names.courier) as hh,
    ):
        depot_dev = depot.ctx.identity.device_id
        await routed(depot, sid, names.courier, today.isoformat(), "morning round")
        await hh.sync()
        await c.fail(hh.ctx, sid, "address_incomplete", "no house number")
        await hh.sync()
        url = f"/api/v1/shipments/{sid}/decision"
        tomorrow = day_after(today, 1)
        with central.api(token) as api:
            past = api.post(url, json={"route_day": day_after(today, -1)})
            assert past.status_code == 400 and detail(past).startswith("route_day:")
            bad_slot = api.post(url, json={"slot_start": "2pm"})
            assert bad_slot.status_code == 400 and "slot_start" in bad_slot.text
            backwards = api.post(url, json={"slot_start": "16:00", "slot_end": "14:00"})
            assert backwards.status_code == 400 and detail(backwards).startswith("slot_end:")
            mixed = api.post(url, json={"decision": "return", "address": "x"})
            assert mixed.status_code == 400 and detail(mixed).startswith("address:")
            answer = api.post(
                url,
                json={
                    "route_day": tomorrow,
                    "address": "Damrak 1B",
                    "city": "Utrecht",
                    "slot_start": "14:00",
                    "slot_end": "16:00",
                    "reason": "the recipient gave the flat number",
                },
            )
            assert answer.status_code == 201, answer.text
            assert answer.json()["status"] == "attempt_failed"
            again = api.post(url, json={"route_day": tomorrow})
            assert again.status_code == 409 and detail(again).startswith("status:")
        with central.api(other) as api:
            assert api.post(url, json={}).status_code == 404
            assert api.get(f"/api/v1/shipments/{sid}/history").status_code == 404
        await hh.sync()
        assert await c.load_route(hh.ctx, today.isoformat()) == []
        (stop,) = await c.load_route(hh.ctx, tomorrow)
        assert (stop.doc_id, stop.city, stop.slot_start, stop.slot_end) == (
            sid,
            "Utrecht",
            "14:00",
            "16:00",
        )
        assert (await c.find(hh.ctx, sid)).info.address == "Damrak 1B"
    with central.api(token) as api:
        history = api.get(f"/api/v1/shipments/{sid}/history").json()
    kinds = [h["type"] for h in history]
    assert kinds == ["created", "reassigned", "attempt_failed", "sender_decision"]
    reassigned, decision = history[1], history[3]
    assert reassigned["who"] == depot_dev
    assert reassigned["why"] == "morning round" and names.courier in reassigned["what"]
    assert decision["who"] == merchant_dev
    assert decision["why"] == "the recipient gave the flat number"
    assert tomorrow in decision["what"] and decision["at_ms"] > 0


async def test_corrections_before_out_for_delivery_and_requests_after(
    central: Central, names: Names, tmp_path: Path
) -> None:
    _, token = central.enrol("merchant", merchant_id=names.merchant)
    today = central.today().isoformat()
    sid = create(central, token, names, "K-1", address="Old street 1", city="Sofia")["id"]
    url = f"/api/v1/shipments/{sid}"
    with central.api(token) as api:
        empty = api.patch(url, json={"reason": "nothing"})
        assert empty.status_code == 400 and detail(empty).startswith("address:")
        unknown = api.patch(url, json={"colour": "red"})
        assert unknown.status_code == 400
        early = api.post(f"{url}/change-requests", json={"address": "x"})
        assert early.status_code == 409 and "PATCH" in detail(early)
        fixed = api.patch(url, json={"address": "New street 2", "reason": "typo"})
        assert fixed.status_code == 200 and fixed.json()["type"] == "delivery_changed"
    async with (
        edge_node(central, names, tmp_path / "depot.db", Role.DEPOT) as depot,
        edge_node(central, names, tmp_path / "hh.db", Role.COURIER, names.courier) as hh,
    ):
        await routed(depot, sid, names.courier, today)
        await hh.sync()
        assert (await c.find(hh.ctx, sid)).info.address == "New street 2"
        await c.out_for_delivery(hh.ctx, sid)
        await hh.sync()
        with central.api(token) as api:
            late = api.patch(url, json={"address": "Third street 3"})
            assert late.status_code == 409 and "change-requests" in detail(late)
            asked = api.post(
                f"{url}/change-requests",
                json={"slot_start": f"{today}T17:00:00+02:00", "reason": "at work"},
            )
            assert asked.status_code == 201, asked.text
            second = api.post(f"{url}/change-requests", json={"address": "y"})
            assert second.status_code == 409 and asked.json()["event_id"] in detail(second)
        request_id = asked.json()["event_id"]
        await depot.sync()
        with pytest.raises(UnknownDocument):
            await c.answer_change(depot.ctx, sid, "no-such-request", True)
        with pytest.raises(InvalidInput):
            await c.answer_change(depot.ctx, sid, request_id, False)
        await c.answer_change(depot.ctx, sid, request_id, True, "fits the route")
        await depot.sync()
        await hh.sync()
        assert (await c.find(hh.ctx, sid)).info.slot_start == f"{today}T17:00:00+02:00"
        with pytest.raises(UnknownDocument):  # answered: no longer open
            await c.answer_change(depot.ctx, sid, request_id, False, "changed my mind")
    with central.api(token) as api:
        history = api.get(f"{url}/history").json()
    answered = next(h for h in history if h["type"] == "change_answered")
    assert "accepted" in answered["what"] and answered["why"] == "fits the route"
    assert next(h for h in history if h["type"] == "delivery_changed")["why"] == "typo"


def _statement_line(central: Central, names: Names, sid: str) -> dict[str, Any]:
    from .server_helpers import office_rows

    rows = office_rows(central, "statement", merchant=names.merchant)
    return next(r for r in rows if r["doc_id"] == sid)


async def test_a_return_to_origin_ends_signed_for_and_its_frozen_cod_released(
    central: Central, names: Names, tmp_path: Path
) -> None:
    from .server_helpers import office_rows

    _, token = central.enrol("merchant", merchant_id=names.merchant)
    today = central.today().isoformat()
    sid = create(central, token, names, "R-1")["id"]
    signature = tmp_path / "signature.png"
    signature.write_bytes(b"\x89PNG\r\n\x1a\n merchant's signature")
    async with (
        edge_node(central, names, tmp_path / "depot.db", Role.DEPOT) as depot,
        edge_node(central, names, tmp_path / "hh.db", Role.COURIER, names.courier) as hh,
    ):
        await routed(depot, sid, names.courier, today)
        await hh.sync()
        await c.collect(hh.ctx, sid, 2500)
        await c.fail(hh.ctx, sid, "refused", "did not want it after paying")
        await hh.sync()
        assert _statement_line(central, names, sid)["frozen"] == 2500
        await depot.sync()
        with pytest.raises(InvalidTransition):  # not back at the depot yet
            await c.hand_back(depot.ctx, sid, "Ana", c.Attachment.from_file(signature))
        await c.back_at_origin(depot.ctx, sid)
        with pytest.raises(InvalidInput):
            await c.hand_back(depot.ctx, sid, " ", c.Attachment.from_file(signature))
        done = await c.hand_back(
            depot.ctx, sid, "Ana at the shop", c.Attachment.from_file(signature)
        )
        assert done.status == "returned_to_origin"
        await depot.sync()
    line = _statement_line(central, names, sid)
    assert (line["frozen"], line["reversed"], line["payable"]) == (0, 2500, 0)
    accounts = {r["account"]: r["balance"] for r in office_rows(central, "ledger")}
    assert f"recipient:{sid}" not in accounts  # paid 25.00 at the door, given back 25.00
    with central.api(token) as api:
        history = api.get(f"/api/v1/shipments/{sid}/history").json()
        events = api.get(f"/api/v1/shipments/{sid}").json()["events"]
    handed = history[-1]
    assert handed["type"] == "handed_to_merchant" and "Ana at the shop" in handed["what"]
    signed = hashlib.sha256(signature.read_bytes()).hexdigest()
    assert events[-1]["payload"]["signature_sha256"] == signed
