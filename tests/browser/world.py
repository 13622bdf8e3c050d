"""Acting around the office pages over the wire: log in, create, deliver on a handheld.

Everything goes through the real central process: the office API creates
shipments, a depot replica assigns them, and a courier's handheld edge
(``EdgeNode`` over HTTP) collects the COD and delivers, as in the field.
"""

from __future__ import annotations

import asyncio
import re
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Any

import httpx

from edge import commands as c
from edge.context import Identity, enroll
from edge.errors import NotFound, OutOfScope
from edge.node import EdgeNode
from edge.store import EdgeStore
from edge.sync_loop import Backoff
from protocol.commands import DocCommand
from protocol.events import (
    AttemptFailed,
    CodCollected,
    CodCollectedPayload,
    Delivered,
    Event,
    OutForDelivery,
    ProofOfDelivery,
)
from protocol.ids import new_id
from protocol.vocab import Role
from sync import commit_commands

from ..server_helpers import clock, node, routed

if TYPE_CHECKING:
    from ..server_fixtures import Central, Names

PERSONAL = {
    "recipient_name": "Wilhelmina Oosterhuis",
    "recipient_phone": "+31 6 5550 1234",
    "address": "Prinsengracht 263",
    "postcode": "1016 GV",
}


CSRF_FIELD = "_csrf_token"


def token_in(page: httpx.Response) -> str:
    """The CSRF token in the form of an office page."""
    found = re.search(f'name="{CSRF_FIELD}" value="([0-9a-f]+)"', page.text)
    assert found, page.text
    return found.group(1)


def tampered(token: str) -> str:
    """``token`` with its last hex digit changed: well formed, but not the one issued."""
    return token[:-1] + ("1" if token.endswith("0") else "0")


def csrf_token(client: httpx.Client, page: str = "/office/login") -> str:
    """The CSRF token in the form of ``page`` (the client keeps the cookie it matches)."""
    return token_in(client.get(page))


@contextmanager
def office_session(central: Central, token: str | None = None) -> Iterator[httpx.Client]:
    """A client logged in through the login form (it holds the session and CSRF cookies)."""
    with httpx.Client(base_url=central.url, timeout=10) as client:
        form = {"token": token or central.office_token, CSRF_FIELD: csrf_token(client)}
        answer = client.post("/office/login", data=form)
        assert answer.status_code == 303, answer.text
        yield client


def create_shipment(central: Central, names: Names, ref: str, **extra: Any) -> dict[str, Any]:
    """One shipment of the test's merchant at its depot, with personal data, via the office."""
    body = {
        "order_ref": ref,
        "currency": "EUR",
        "merchant_id": names.merchant,
        "depot_id": names.depot,
        "city": "Amsterdam",
        **PERSONAL,
        **extra,
    }
    with central.api() as api:
        answer = api.post("/api/v1/shipments", json=body)
    answer.raise_for_status()
    shipment: dict[str, Any] = answer.json()
    return shipment


async def route_to_courier(central: Central, names: Names, tmp: Path, ids: list[str]) -> None:
    """The test's depot puts ``ids`` on the test's courier's route over HTTP."""
    await routed(central, names, tmp, ids, db=f"depot-{names.depot}.db")


async def _until_on_route(handheld: EdgeNode, tracking_number: str) -> None:
    assert handheld.loop is not None
    while True:
        try:
            await c.find(handheld.ctx, tracking_number)
            return
        except (NotFound, OutOfScope):
            await handheld.loop.next_round()


async def deliver_on_handheld(
    central: Central, names: Names, tmp: Path, tracking_number: str, cod: int
) -> None:
    """The courier's handheld syncs, collects ``cod`` (if any), delivers and pushes."""
    device_id, token = central.enrol("courier", depot_id=names.depot, courier_id=names.courier)
    path = tmp / f"handheld-{names.courier}.db"
    store = await EdgeStore.open(path)
    identity = Identity(device_id, Role.COURIER, names.depot, names.courier, central.url, token)
    await enroll(store, identity)
    await store.close()
    handheld = EdgeNode(path, interval=0.05, backoff=Backoff(base=0.01, cap=0.05))
    async with handheld, asyncio.timeout(20):
        await _until_on_route(handheld, tracking_number)
        if cod:
            await c.collect(handheld.ctx, tracking_number, cod)
        await c.deliver(handheld.ctx, tracking_number, recipient_name="W. Oosterhuis")
        assert handheld.loop is not None
        await handheld.loop.until_idle()


async def hand_over_via_depot(
    path: Path, device_id: str, token: str, names: Names, relay_url: str
) -> None:
    """A handheld of the test's courier, syncing through the depot's relay at ``relay_url``,
    hands over the cash in hand; its health reaches the depot with its requests."""
    store = await EdgeStore.open(path)
    identity = Identity(device_id, Role.COURIER, names.depot, names.courier, relay_url, token)
    await enroll(store, identity)
    await store.close()
    handheld = EdgeNode(path, interval=0.05, backoff=Backoff(base=0.01, cap=0.05))
    async with handheld, asyncio.timeout(20):
        assert handheld.loop is not None
        while not (await c.cash_position(handheld.ctx)).in_hand:
            await handheld.loop.next_round()
        await c.handover(handheld.ctx)
        await handheld.loop.until_idle()


async def route_on_days(central: Central, names: Names, tmp: Path, days: dict[str, str]) -> None:
    """The test's depot routes each shipment of ``days`` (id -> route day) to the test's courier."""
    device_id, token = central.enrol("depot", depot_id=names.depot)
    async with node(central, tmp / f"depot-{names.depot}.db", device_id, token) as depot:
        await depot.sync()
        commands = [
            (
                sid,
                DocCommand(
                    "assign", "shipment", info={"courier_id": names.courier, "route_day": day}
                ),
            )
            for sid, day in days.items()
        ]
        await commit_commands(depot.store, commands, device_id=depot.device_id)
        report = await depot.push()
        assert report.rejected == 0, await depot.store.quarantined()


async def push_as_courier(
    central: Central,
    names: Names,
    tmp: Path,
    make: Callable[[str], list[tuple[str, DocCommand]]],
) -> str:
    """The test's courier's handheld syncs, commits ``make(device_id)`` and pushes.

    Returns the handheld's device id.
    """
    device_id, token = central.enrol("courier", depot_id=names.depot, courier_id=names.courier)
    async with node(central, tmp / f"hh-{names.courier}.db", device_id, token) as handheld:
        await handheld.sync()
        await commit_commands(handheld.store, make(device_id), device_id=device_id)
        report = await handheld.push()
        assert report.rejected == 0, await handheld.store.quarantined()
    return device_id


class Door:
    """Events one handheld records, on one clock so they sort as written."""

    def __init__(self, device_id: str, courier_id: str) -> None:
        self.hlc, self.common = clock(device_id), {"device": device_id, "actor": courier_id}
        self.courier_id = courier_id

    def _base(self) -> dict[str, Any]:
        return {"id": new_id(), "hlc": self.hlc.now().encode(), **self.common}

    def out(self) -> Event:
        return OutForDelivery(**self._base(), payload=OutForDelivery.Body(self.courier_id))

    def failed(self, reason: str) -> Event:
        return AttemptFailed(**self._base(), payload=AttemptFailed.Body(reason=reason))

    def delivered(self) -> Event:
        pod = ProofOfDelivery(recipient_name="R", relation="self", device_time_ms=1)
        return Delivered(**self._base(), payload=pod)

    def cod(self, amount: int, method: str = "cash") -> Event:
        payload = CodCollectedPayload(amount, "EUR", method=method)
        return CodCollected(**self._base(), payload=payload)
