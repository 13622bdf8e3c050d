"""What an event says is checked against who sent it, over the wire (issue 15, 1-6).

Each test plays a hostile enrolled device against the real central process:
the push is well formed and allowed by role and scope, but what it says is not
true of its writer (a garbage or far-future clock, another person's name,
another courier's cash book, another depot's courier, a transition the
lifecycle forbids, another merchant's tracking number).
"""

from __future__ import annotations

import time
from typing import TYPE_CHECKING
from zoneinfo import ZoneInfo

import httpx
import pytest
from websockets.asyncio.client import connect
from websockets.exceptions import ConnectionClosed

from protocol.ids import courier_book_id, make_tracking_number, new_id
from server.office.web.track_time import event_time
from server.yjs.protocol import update_frame
from sync.documents import apply_command

from .hostile import book_info, hostile, office_pages, tracking_number
from .server_helpers import deliver, routed, seed

if TYPE_CHECKING:
    from pathlib import Path

    from .server_fixtures import Central, Names

pytest_plugins = ["tests.server_fixtures"]

HOUR_MS = 3_600_000


def now_ms() -> int:
    """Central's clock is the real one: events are stamped against it."""
    return time.time_ns() // 1_000_000


async def test_garbage_hlc_is_refused_and_the_office_still_renders(
    central: Central, names: Names, tmp_path: Path
):
    ids = await seed(central, names, 1)
    await routed(central, names, tmp_path, ids)
    courier = hostile(central, "courier", depot_id=names.depot, courier_id=names.courier)
    state = await courier.state(ids[0])
    event = courier.stamp(names.courier, now_ms(), "attempt_failed", reason="not_home")
    answer = await courier.push(ids[0], "shipment", [event | {"hlc": "zzzz"}], state=state)
    assert (answer.accepted, answer.code) == (False, "invalid_hlc")
    assert "hlc" in answer.message and "'zzzz'" in answer.message
    pages = office_pages(central, ids)
    assert set(pages.values()) == {200}, pages


def tracked_at(ms: int) -> str:
    """A time as the tracking page shows it (in English, the depots' default zone UTC)."""
    return event_time(ms, ZoneInfo("UTC"), "en")


async def test_far_future_hlc_is_refused_and_recipients_see_receive_times(
    central: Central, names: Names, tmp_path: Path
):
    ids = await seed(central, names, 1)
    await routed(central, names, tmp_path, ids)
    courier = hostile(central, "courier", depot_id=names.depot, courier_id=names.courier)
    state = await courier.state(ids[0])
    year_2286 = 9_999_999_999_000
    for wall in (year_2286, now_ms() + 30 * 24 * HOUR_MS):
        late = courier.stamp(names.courier, wall, "out_for_delivery", courier_id=names.courier)
        answer = await courier.push(ids[0], "shipment", [late], state=state)
        assert (answer.accepted, answer.code) == (False, "hlc_in_future"), answer
    # A handheld three hours fast is within the default bound: accepted, but the
    # recipient is shown when central received it, not the handheld's clock.
    fast = now_ms() + 3 * HOUR_MS
    out = courier.stamp(names.courier, fast, "out_for_delivery", courier_id=names.courier)
    assert (await courier.push(ids[0], "shipment", [out], state=state)).accepted
    received = now_ms()
    async with httpx.AsyncClient(base_url=central.url) as client:
        page = (await client.get(f"/track/{tracking_number(central, ids[0])}")).text
    assert "out for delivery" in page.lower()
    shown = [tracked_at(received), tracked_at(received - 60_000)]  # the minute may turn
    assert tracked_at(fast) not in page
    assert shown[0] in page or shown[1] in page, (shown, page)


def test_the_skew_bound_is_configurable(tmp_path: Path, names: Names):
    from .server_fixtures import start_central, stop_central

    central = start_central(tmp_path / "central.db", max_skew_ms=60_000)
    try:
        import anyio

        async def run() -> None:
            ids = await seed(central, names, 1)
            await routed(central, names, tmp_path, ids)
            courier = hostile(central, "courier", depot_id=names.depot, courier_id=names.courier)
            state = await courier.state(ids[0])
            ahead = courier.stamp(
                names.courier, now_ms() + 10 * 60_000, "out_for_delivery", courier_id=names.courier
            )
            answer = await courier.push(ids[0], "shipment", [ahead], state=state)
            assert (answer.accepted, answer.code) == (False, "hlc_in_future")
            assert "at most 1 min" in answer.message

        anyio.run(run)
    finally:
        stop_central(central)


async def test_events_name_the_devices_own_courier(central: Central, names: Names, tmp_path: Path):
    ids = await seed(central, names, 1)
    await routed(central, names, tmp_path, ids)
    courier = hostile(central, "courier", depot_id=names.depot, courier_id=names.courier)
    state = await courier.state(ids[0])
    failed = courier.stamp(names.courier2, now_ms(), "attempt_failed", reason="not_home")
    answer = await courier.push(ids[0], "shipment", [failed], state=state)
    assert (answer.accepted, answer.code) == (False, "wrong_actor")
    out = courier.stamp(names.courier, now_ms(), "out_for_delivery", courier_id=names.courier2)
    answer = await courier.push(ids[0], "shipment", [out], state=state)
    assert (answer.accepted, answer.code) == (False, "wrong_courier")
    own = courier.stamp(names.courier, now_ms(), "attempt_failed", reason="not_home")
    assert (await courier.push(ids[0], "shipment", [own], state=state)).accepted
    with central.api() as api:
        events = api.get(f"/api/v1/shipments/{ids[0]}").json()["events"]
    assert [(e["type"], e["actor"]) for e in events[1:]] == [("attempt_failed", names.courier)]


async def test_a_courier_creates_only_its_own_cash_book(central: Central, names: Names):
    ids = await seed(central, names, 1)
    attacker = hostile(central, "courier", depot_id=names.depot, courier_id=names.courier)
    victim = hostile(central, "courier", depot_id=names.depot, courier_id=names.courier2)

    def entry(who: str) -> dict[str, object]:
        return attacker.stamp(
            who,
            now_ms(),
            "collected",
            shipment_id=ids[0],
            amount=50_000,
            currency="EUR",
            reason="not the COD: says why",
        )

    future = "2027-01-15"
    victims_book = courier_book_id(names.courier2, future)
    own_book = courier_book_id(names.courier, future)
    me = names.courier
    forged = [
        (victims_book, book_info(me, names.depot, future)),  # squatting B's id
        (victims_book, book_info(names.courier2, names.depot, future, courier=me)),
        (own_book, book_info(names.courier2, names.depot, future, courier=me)),  # forged owner
        (own_book, book_info(me, names.depot + "-other", future)),  # forged depot
        (new_id(), book_info(names.courier, names.depot, future)),  # an id not derived
        (own_book, book_info(names.courier, names.depot, "soon")),  # not a day
    ]
    for book_id, info in forged:
        answer = await attacker.push(book_id, "cashbook", [entry(names.courier)], info)
        assert (answer.accepted, answer.code) == (False, "wrong_cash_book"), (info, answer)
    # the victim's own book for that day is still its to create
    mine = victim.stamp(
        names.courier2,
        now_ms(),
        "collected",
        shipment_id=ids[0],
        amount=100,
        currency="EUR",
        reason="not the COD: says why",
    )
    answer = await victim.push(
        victims_book, "cashbook", [mine], book_info(names.courier2, names.depot, future)
    )
    assert answer.accepted, answer
    assert (
        await attacker.push(
            own_book,
            "cashbook",
            [entry(names.courier)],
            book_info(names.courier, names.depot, future),
        )
    ).accepted


async def test_a_depot_assigns_only_its_own_couriers(
    central: Central, names: Names, tmp_path: Path
):
    ids = await seed(central, names, 1)
    central.enrol("courier", depot_id=names.depot + "-far", courier_id=names.courier2)
    central.enrol("courier", depot_id=names.depot, courier_id=names.courier)
    depot = hostile(central, "depot", depot_id=names.depot)
    state = await depot.state(ids[0])
    answer = await depot.push(ids[0], "shipment", [], {"courier_id": names.courier2}, state=state)
    assert (answer.accepted, answer.code) == (False, "courier_of_other_depot")
    out = depot.stamp(depot.device_id, now_ms(), "out_for_delivery", courier_id=names.courier2)
    answer = await depot.push(ids[0], "shipment", [out], state=state)
    assert (answer.accepted, answer.code) == (False, "courier_of_other_depot")
    answer = await depot.push(ids[0], "shipment", [], {"courier_id": names.courier}, state=state)
    assert answer.accepted, answer


async def test_a_delivered_shipment_cannot_be_cancelled_on_any_path(
    central: Central, names: Names, tmp_path: Path
):
    with central.api() as api:
        created = api.post(
            "/api/v1/shipments",
            json={
                "order_ref": "o-1",
                "currency": "EUR",
                "cod_amount": 2500,
                "depot_id": names.depot,
                "merchant_id": names.merchant,
            },
        ).json()
    sid = created["id"]
    await deliver(central, names, tmp_path, sid)
    merchant = hostile(central, "merchant", merchant_id=names.merchant)
    with central.api(merchant.token) as api:
        refused = api.post(f"/api/v1/shipments/{sid}/cancel", json={"reason": "changed mind"})
    assert refused.status_code == 409
    state = await merchant.state(sid)
    cancel = merchant.stamp(merchant.device_id, now_ms(), "cancelled", reason="changed mind")
    answer = await merchant.push(sid, "shipment", [cancel], state=state)
    assert (answer.accepted, answer.code) == (False, "transition_refused")
    assert answer.message == refused.json()["detail"]
    # the same update over /yjs closes the socket with the same reason
    _, update = apply_command(state, _cancel_command(merchant, cancel), 11)
    url = central.url.replace("http://", "ws://") + f"/yjs/{sid}?token={merchant.token}"
    async with connect(url) as socket:
        await socket.send(update_frame(update))
        with pytest.raises(ConnectionClosed) as closed:
            while True:
                await socket.recv()
    assert closed.value.rcvd is not None
    assert closed.value.rcvd.code == 4422
    assert closed.value.rcvd.reason.startswith("transition_refused")
    with central.api() as api:
        assert api.get(f"/api/v1/shipments/{sid}").json()["status"] == "delivered"


def _cancel_command(merchant: object, cancel: dict[str, object]):  # type: ignore[no-untyped-def]
    from protocol.commands import DocCommand

    return DocCommand("forged", "shipment", events=[cancel | {"id": new_id()}])


async def test_tracking_numbers_are_issued_by_central(central: Central, names: Names):
    ids = await seed(central, names, 20)
    numbers = [tracking_number(central, sid) for sid in ids]
    serials = sorted(int(n[2:10]) for n in numbers)
    assert serials != list(range(serials[0], serials[0] + len(serials)))  # not sequential
    attacker = hostile(central, "merchant", merchant_id=names.merchant + "-evil")
    info = {"merchant_id": names.merchant + "-evil", "currency": "EUR", "depot_id": names.depot}
    taken = numbers[0]
    guessed = make_tracking_number(serials[-1] + 1)
    for number, code in ((taken, "tracking_number_taken"), (guessed, "tracking_number_not_issued")):
        created = attacker.stamp(attacker.device_id, now_ms(), "created")
        answer = await attacker.push(
            new_id(), "shipment", [created], info | {"tracking_number": number}
        )
        assert (answer.accepted, answer.code) == (False, code), answer
    with central.api() as api:
        found = api.get(f"/api/v1/shipments/by-tracking/{taken}")
    assert found.status_code == 200 and found.json()["id"] == ids[0]


def test_office_pages_render_over_malformed_clocks_already_stored(tmp_path: Path):
    """Garbage that reached a file before the boundary refused it must not take the office down."""
    import anyio

    from protocol.commands import DocCommand
    from server.core import Central as CentralNode
    from sync.ingest import commit_commands

    from .server_fixtures import start_central, stop_central

    db = tmp_path / "central.db"
    ids = [new_id() for _ in range(3)]

    async def store_garbage() -> None:
        async with CentralNode(db) as node:
            commands = []
            for n, (sid, hlc) in enumerate(
                zip(ids, ("zzzz", "999999999999999.000000.x", "-1.2.x"), strict=True)
            ):
                info = {
                    "merchant_id": "M-bad",
                    "tracking_number": make_tracking_number(n),
                    "currency": "EUR",
                    "cod_amount": 1000,
                    "depot_id": "D-bad",
                    "courier_id": "C-bad",
                }
                events = [
                    {"id": new_id(), "type": "created", "hlc": hlc, "device": "x", "actor": "x"},
                    {
                        "id": new_id(),
                        "type": "attempt_failed",
                        "hlc": hlc,
                        "device": "x",
                        "actor": "C-bad",
                        "payload": {"reason": "not_home"},
                    },
                ]
                pod = {"recipient_name": "R", "relation": "self", "device_time_ms": 1}
                events += [  # two proofs of delivery: a conflict to resolve
                    {"id": new_id(), "type": "delivered", "hlc": hlc, "device": "x"}
                    | {"actor": "C-bad", "payload": pod}
                    for _ in range(2)
                ]
                commands.append((sid, DocCommand("seed", "shipment", info=info, events=events)))
            await commit_commands(node.store, commands, device_id="x", queue=False)

    anyio.run(store_garbage)
    central = start_central(db)
    try:
        pages = office_pages(central, ids)
        assert set(pages.values()) == {200}, pages
        with central.api() as api:
            table = api.get("/api/v1/office/tables/conflicts").json()
            column = [c["name"] for c in table["columns"]].index("conflict_id")
            conflict = next(r[column] for r in table["rows"] if r[0] == ids[0])
            resolved = api.post(
                f"/api/v1/office/conflicts/{ids[0]}/{conflict}/resolve", json={"note": "checked"}
            )
            assert resolved.status_code == 201, resolved.text
        with httpx.Client(base_url=central.url) as client:
            for n in range(3):
                assert client.get(f"/track/{make_tracking_number(n)}").status_code == 200
    finally:
        stop_central(central)
