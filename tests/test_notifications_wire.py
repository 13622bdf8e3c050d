"""Recipient notifications over the wire: a real central, a real SMTP server (aiosmtpd)
and an SMS gateway receiver on 127.0.0.1, the courier's events pushed from a handheld."""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator
from contextlib import closing
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

import pytest

from protocol.commands import DocCommand
from protocol.events import AttemptFailed, Delivered, Event, OutForDelivery, ProofOfDelivery
from protocol.ids import new_id
from protocol.vocab import FailureReason
from sync import commit_commands

from .server_helpers import clock, node, routed
from .smtp_receiver import Mailbox, smtp_server
from .webhook_receiver import Receiver, running

if TYPE_CHECKING:
    from .server_fixtures import Central, Names

pytest_plugins = ["tests.server_fixtures"]
PUBLIC = "https://parcels.example"


@dataclass
class World:
    central: Central
    mailbox: Mailbox
    sms: Receiver
    options: dict[str, object]


def restart(world: World) -> Central:
    """Central again on the same file and port, with the same channels."""
    from .server_fixtures import start_central  # a plugin: import late

    port = int(world.central.url.rsplit(":", 1)[1])
    world.central = start_central(world.central.db_path, port, **world.options)
    return world.central


@pytest.fixture(scope="module")
def world(tmp_path_factory: pytest.TempPathFactory) -> Iterator[World]:
    from .server_fixtures import start_central, stop_central  # a plugin: import late

    sms = Receiver(fail=0, fail_each=1)  # every SMS fails once, then goes through
    with smtp_server() as (mailbox, port), running(sms):
        options: dict[str, object] = {
            "smtp_host": "127.0.0.1",
            "smtp_port": port,
            "smtp_from": "parcels@courier.example",
            "sms_gateway_url": sms.url,
            "public_url": PUBLIC,
        }
        central = start_central(tmp_path_factory.mktemp("notify") / "central.db", **options)
        here = World(central, mailbox, sms, options)
        yield here
        if here.central.process.poll() is None:
            stop_central(here.central)


def create(central: Central, names: Names, ref: str) -> dict[str, str]:
    _, token = central.enrol("merchant", merchant_id=names.merchant)
    body = {
        "order_ref": ref,
        "currency": "EUR",
        "depot_id": names.depot,
        "recipient_email": f"{ref.lower()}@example.org",
        "recipient_phone": "+31 6 1234 5678",
        "slot_start": "10:00",
        "slot_end": "12:00",
    }
    with central.api(token) as api:
        answer = api.post("/api/v1/shipments", json=body)
    assert answer.status_code == 201, answer.text
    return answer.json()


async def courier_records(
    central: Central, names: Names, tmp_path: Path, shipment_id: str, *kinds: str
) -> None:
    """The test courier's handheld records ``kinds`` on the shipment and syncs."""
    device, token = central.enrol("courier", depot_id=names.depot, courier_id=names.courier)
    hlc = clock(device)
    common = {"device": device, "actor": names.courier}
    events: list[Event] = []
    for kind in kinds:
        stamp = {"id": new_id(), "hlc": hlc.now().encode(), **common}
        if kind == "out":
            events.append(OutForDelivery(payload=OutForDelivery.Body(names.courier), **stamp))
        elif kind == "delivered":
            pod = ProofOfDelivery(recipient_name="R", relation="self", device_time_ms=1)
            events.append(Delivered(payload=pod, **stamp))
        else:
            events.append(AttemptFailed(payload=AttemptFailed.Body(FailureReason(kind)), **stamp))
    async with node(central, tmp_path / f"hh-{new_id()}.db", device, token) as handheld:
        await handheld.sync()
        command = DocCommand.build("record", "shipment", events)
        await commit_commands(handheld.store, [(shipment_id, command)], device_id=device)
        assert (await handheld.sync()).rejected == 0


def to(box: list, address: str) -> list:  # type: ignore[type-arg]
    return [m for m in box if m["To"] == address]


def texts(sms: Receiver, phone_text: str) -> list[str]:
    with sms.changed:
        return [d["text"] for d in sms.delivered if phone_text in d["text"]]


async def test_out_for_delivery_delivered_and_failed_reach_the_recipient_once(
    world: World, tmp_path: Path
):
    from .server_fixtures import Names, stop_central

    names = Names("D-n1", "C-n1", "C2-n1", "M-n1")
    central, box, sms = world.central, world.mailbox, world.sms
    first, second = create(central, names, "N-1"), create(central, names, "N-2")
    await routed(central, names, tmp_path, [first["id"], second["id"]])
    tn1, tn2 = first["tracking_number"], second["tracking_number"]

    await courier_records(central, names, tmp_path, first["id"], "out")
    box.wait_until(lambda ms: len(to(ms, "n-1@example.org")) == 1)
    (out,) = to(box.messages, "n-1@example.org")
    assert out["Subject"] == f"Parcel {tn1} arrives today"
    assert out["From"] == "parcels@courier.example"
    assert "out for delivery and arrives today between 10:00 and 12:00" in out.get_content()
    assert f"{PUBLIC}/track/{tn1}" in out.get_content()

    await courier_records(central, names, tmp_path, first["id"], "delivered")
    await courier_records(central, names, tmp_path, second["id"], "out", "not_home")
    box.wait_until(lambda ms: len(to(ms, "n-1@example.org")) == 2)
    box.wait_until(lambda ms: len(to(ms, "n-2@example.org")) == 1)
    assert (
        f"Your parcel {tn1} was delivered." in to(box.messages, "n-1@example.org")[1].get_content()
    )
    (failed,) = to(box.messages, "n-2@example.org")  # "out" came with the failure: not told
    assert failed["Subject"] == f"Parcel {tn2} not delivered"
    assert "(not home). We will try again on the next working day." in failed.get_content()
    assert f"another date: ask the sender, quoting {tn2}." in failed.get_content()
    assert f"Follow it at {PUBLIC}/track/{tn2}" in failed.get_content()

    # SMS: each failed once (HTTP 500), was retried and went through once
    sms.wait_until(lambda r: len(texts(r, tn1)) == 2 and len(texts(r, tn2)) == 1)
    with sms.changed:
        ids = [d["id"] for d in sms.delivered if tn1 in d["text"] or tn2 in d["text"]]
        assert all(d["to"] == "+31 6 1234 5678" for d in sms.delivered)
    assert len(ids) == len(set(ids)) == 3
    with sms.changed:
        tries = [sum(i in body.decode() for _, body in sms.requests) for i in ids]
        keys = {h["Idempotency-Key"] for h, _ in sms.requests}
    assert tries == [2, 2, 2] and keys == set(ids)  # the same key on the retry
    stop_central(central)  # a graceful stop records every message the channels accepted
    with closing(sqlite3.connect(central.db_path)) as db:
        rows = db.execute(
            "SELECT channel, kind, attempts, sent_at IS NOT NULL FROM notification_queue "
            "WHERE shipment_id IN (?, ?) ORDER BY channel, id",
            (first["id"], second["id"]),
        ).fetchall()
    assert rows == [
        ("email", "out_for_delivery", 1, 1),
        ("email", "delivered", 1, 1),
        ("email", "attempt_failed", 1, 1),
        ("sms", "out_for_delivery", 2, 1),
        ("sms", "delivered", 2, 1),
        ("sms", "attempt_failed", 2, 1),
    ]
    ids_by_message = [m["Message-ID"] for m in box.messages]
    assert len(ids_by_message) == len(set(ids_by_message))

    # after a restart a new fact is told, the old ones are not told again, and
    # the merchant reads what its recipients were told
    central = restart(world)
    _, token = central.enrol("merchant", merchant_id=names.merchant)
    await courier_records(central, names, tmp_path, second["id"], "out")
    box.wait_until(lambda ms: len(to(ms, "n-2@example.org")) == 2)
    assert [len(to(box.messages, a)) for a in ("n-1@example.org", "n-2@example.org")] == [2, 2]
    sms.wait_until(lambda r: len(texts(r, tn2)) == 2)
    assert len(texts(sms, tn1)) == 2
    with central.api(token) as api:
        told = api.get(f"/api/v1/shipments/{first['id']}/notifications").json()
        assert api.get(f"/api/v1/shipments/{new_id()}/notifications").status_code == 404
    assert [(n["channel"], n["kind"], n["state"]) for n in told] == [
        ("email", "out_for_delivery", "sent"),
        ("sms", "out_for_delivery", "sent"),
        ("email", "delivered", "sent"),
        ("sms", "delivered", "sent"),
    ]
    assert told[1]["attempts"] == 2 and told[1]["last_error"] == "HTTP 500"
    assert told[0]["recipient"] == "n-1@example.org" and "10:00 and 12:00" in told[0]["text"]


def test_merchant_api_refuses_a_malformed_email(world: World):
    from .server_fixtures import Names

    names = Names("D-n2", "C-n2", "C2-n2", "M-n2")
    _, token = world.central.enrol("merchant", merchant_id=names.merchant)
    body = {"order_ref": "E-1", "currency": "EUR", "recipient_email": "not an address"}
    with world.central.api(token) as api:
        answer = api.post("/api/v1/shipments", json=body)
    assert answer.status_code == 400 and "recipient_email" in answer.text
