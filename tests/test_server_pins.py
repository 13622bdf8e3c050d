"""Delivery PINs over the wire: merchants require one, central re-checks what was recorded."""

from __future__ import annotations

import sqlite3
from pathlib import Path
from typing import TYPE_CHECKING, Any

import anyio
import httpx
from websockets.asyncio.client import connect

from protocol.commands import DocCommand
from protocol.events import Delivered, ProofOfDelivery
from protocol.ids import new_id
from protocol.pin import pin_matches
from protocol.wire import Poke, server_decoder
from sync import commit_commands
from sync.documents import load, read_content

from .server_helpers import clock, node, office_rows, routed

if TYPE_CHECKING:
    from .server_fixtures import Central, Names

pytest_plugins = ["tests.server_fixtures"]


def create_with_pin(central: Central, names: Names, token: str, ref: str) -> dict[str, Any]:
    body = {"order_ref": ref, "currency": "EUR", "depot_id": names.depot, "otp_required": True}
    with central.api(token) as api:
        answer = api.post("/api/v1/shipments", json=body)
    assert answer.status_code == 201, answer.text
    created: dict[str, Any] = answer.json()
    return created


def delivered(device_id: str, courier_id: str, otp: str) -> Delivered:
    """A delivery as a (possibly tampered) handheld records it: PIN "verified"."""
    pod = ProofOfDelivery(
        recipient_name="R", relation="self", device_time_ms=1, otp_verified=True, otp=otp
    )
    return Delivered(
        id=new_id(),
        hlc=clock(device_id).now().encode(),
        device=device_id,
        actor=courier_id,
        payload=pod,
    )


def test_a_merchant_can_require_a_pin_and_gets_it_once(central: Central, names: Names):
    _, token = central.enrol("merchant", merchant_id=names.merchant)
    created = create_with_pin(central, names, token, "pin-1")
    assert len(created["otp"]) == 6 and created["otp"].isdigit()
    with sqlite3.connect(f"file:{central.db_path}?mode=ro", uri=True) as db:
        (state,) = db.execute("SELECT state FROM documents WHERE doc_id = ?", (created["id"],))
    info = read_content(load(bytes(state[0]))).info
    assert info["otp_digest"].startswith("scrypt$16384$8$1$"), info
    assert pin_matches(created["otp"], info["otp_digest"])
    assert created["otp"] not in info.values() and not info.get("otp_sha256")
    with central.api(token) as api:
        again = api.post(
            "/api/v1/shipments",
            json={"order_ref": "pin-1", "currency": "EUR", "otp_required": True},
        )
    assert again.status_code == 200 and again.json()["otp"] is None, "a PIN is shown once"


async def test_central_rechecks_the_recorded_pin_and_raises_a_conflict(
    central: Central, names: Names, tmp_path: Path
):
    _, merchant_token = central.enrol("merchant", merchant_id=names.merchant)
    honest = create_with_pin(central, names, merchant_token, "pin-ok")
    forged = create_with_pin(central, names, merchant_token, "pin-forged")
    wrong = "0000000" if forged["otp"] != "0000000" else "1111111"
    await routed(central, names, tmp_path, [honest["id"], forged["id"]])
    hh_id, hh_token = central.enrol("courier", depot_id=names.depot, courier_id=names.courier)
    ws = central.url.replace("http://", "ws://") + "/sync/live"
    office = {"authorization": f"Bearer {central.office_token}"}
    async with (
        node(central, tmp_path / "hh.db", hh_id, hh_token) as handheld,
        connect(ws, additional_headers=office) as live,
    ):
        await handheld.sync()
        pins = ((honest["id"], honest["otp"]), (forged["id"], wrong))
        commands = [
            (doc_id, DocCommand.build("deliver", "shipment", [delivered(hh_id, names.courier, p)]))
            for doc_id, p in pins
        ]
        await commit_commands(handheld.store, commands, device_id=hh_id)
        assert (await handheld.push()).rejected == 0
        with anyio.fail_after(30):  # each change is poked: until central's pin_mismatch write
            while not await open_conflicts(central, forged["id"]):
                assert isinstance(server_decoder.decode(await live.recv()), Poke)
    conflicts = office_rows(central, "conflicts", kind="pin_mismatch")
    assert [c["doc_id"] for c in conflicts] == [forged["id"]], conflicts
    assert "the recorded PIN is wrong" in conflicts[0]["message"]
    with central.api(merchant_token) as api:
        assert api.get(f"/api/v1/shipments/{honest['id']}").json()["open_conflicts"] == 0
        assert api.get(f"/api/v1/shipments/{forged['id']}").json()["open_conflicts"] == 1


async def open_conflicts(central: Central, doc_id: str) -> int:
    async with httpx.AsyncClient(
        base_url=central.url, headers={"authorization": f"Bearer {central.office_token}"}
    ) as api:
        answer = await api.get(f"/api/v1/shipments/{doc_id}")
    return int(answer.json()["open_conflicts"])
