"""Acting around the office pages over the wire: log in, create, deliver on a handheld.

Everything goes through the real central process: the office API creates
shipments, a depot replica assigns them, and a courier's handheld edge
(``EdgeNode`` over HTTP) collects the COD and delivers, as in the field.
"""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
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
from protocol.vocab import Role

from ..server_helpers import assign, node

if TYPE_CHECKING:
    from ..server_fixtures import Central, Names

PERSONAL = {
    "recipient_name": "Wilhelmina Oosterhuis",
    "recipient_phone": "+31 6 5550 1234",
    "address": "Prinsengracht 263",
    "postcode": "1016 GV",
}


@contextmanager
def office_session(central: Central, token: str | None = None) -> Iterator[httpx.Client]:
    """A client logged in through the login form (it holds the session cookie)."""
    with httpx.Client(base_url=central.url, timeout=10) as client:
        answer = client.post("/office/login", data={"token": token or central.office_token})
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
    device_id, token = central.enrol("depot", depot_id=names.depot)
    async with node(central, tmp / f"depot-{names.depot}.db", device_id, token) as depot:
        await assign(depot, ids, names.courier)


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
