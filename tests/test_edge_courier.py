"""Courier commands on a handheld replica: happy paths, refusals, and that a
refusal writes nothing."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest

from edge import commands as c
from edge.context import EdgeContext
from edge.errors import (
    AlreadyRecorded,
    AmountMismatch,
    CashLimitReached,
    InvalidInput,
    InvalidTransition,
    NothingToDo,
    OtpRejected,
    OutOfScope,
    UnknownDocument,
    UnknownParcel,
    WrongRole,
)
from protocol.ids import make_tracking_number, named_id
from tests._edge_world import (
    DAY,
    DEPOT_DEVICE,
    handheld,
    node,
    return_command,
    seed,
    shipment_command,
    snapshot,
)

TN = make_tracking_number


@pytest.fixture
async def hh(tmp_path) -> AsyncIterator[EdgeContext]:
    ctx = await node(tmp_path / "hh.db", handheld(), cash_limit=5000)
    await seed(
        ctx.store,
        [
            shipment_command(1, cod=2500),
            shipment_command(2),
            shipment_command(3, otp="4321"),
            shipment_command(4, cod=2000),
            shipment_command(5, courier="C2"),
            return_command("r1"),
            return_command("r2", courier="C2"),
        ],
    )
    yield ctx
    await ctx.close()


async def refused(ctx: EdgeContext, error: type[Exception], call) -> Exception:
    """Run ``call``; it must raise ``error`` and leave the replica untouched."""
    before = await snapshot(ctx.store)
    with pytest.raises(error) as info:
        await call
    assert await snapshot(ctx.store) == before
    return info.value


async def test_route_is_ordered_and_scoped(hh):
    route = await c.load_route(hh, DAY)
    assert [s.tracking_number for s in route] == [TN(1), TN(2), TN(3), TN(4)]
    assert route[0].cod_amount == 2500
    assert await c.load_route(hh, "2024-05-03") == []


async def test_find_by_tracking_barcode_and_id(hh):
    by_tn = await c.find(hh, TN(2).lower())
    assert (await c.find(hh, "BC-2")).doc_id == by_tn.doc_id
    assert (await c.find(hh, by_tn.doc_id)).info.tracking_number == TN(2)


async def test_find_refusals(hh):
    await refused(hh, UnknownParcel, c.find(hh, TN(99)))
    await refused(hh, UnknownParcel, c.find(hh, "BC-404"))
    await refused(hh, OutOfScope, c.find(hh, TN(5)))


async def test_out_for_delivery_then_twice(hh):
    result = await c.out_for_delivery(hh, TN(2))
    assert result.status == "out_for_delivery"
    assert (await c.find(hh, TN(2))).state.status == "out_for_delivery"
    await refused(hh, AlreadyRecorded, c.out_for_delivery(hh, TN(2)))


async def test_deliver_prepaid_with_proof_writes_outbox(hh, tmp_path):
    photo = tmp_path / "door.jpg"
    photo.write_bytes(b"jpeg bytes")
    before = (await hh.store.outbox_stats()).waiting
    result = await c.deliver(
        hh,
        TN(2),
        recipient_name="Ann",
        relation="neighbour",
        photo=c.Attachment.from_file(photo),
        lat=52.37,
        lon=4.9,
    )
    assert result.status == "delivered" and len(result.events) == 2  # out + delivered
    assert (await hh.store.outbox_stats()).waiting == before + 1
    rows = await hh.store.query(
        "SELECT status FROM p_shipments WHERE tracking_number = ?", (TN(2),)
    )
    assert rows == [("delivered",)]
    attachments = await hh.store.query("SELECT kind, path FROM edge_attachments")
    assert attachments == [("photo", str(photo))]
    events = await hh.store.query(
        "SELECT type, device, actor FROM p_events WHERE doc_id = ? ORDER BY hlc", (result.doc_id,)
    )
    assert events[-1] == ("delivered", "hh-C1-1", "C1")


async def test_deliver_refusals(hh):
    await refused(hh, InvalidTransition, c.deliver(hh, TN(1), recipient_name="Bo"))  # COD first
    await refused(hh, OtpRejected, c.deliver(hh, TN(3), recipient_name="Bo"))
    await refused(hh, OtpRejected, c.deliver(hh, TN(3), recipient_name="Bo", otp="0000"))
    await refused(hh, InvalidInput, c.deliver(hh, TN(2), recipient_name="  "))
    await refused(hh, InvalidInput, c.deliver(hh, TN(2), recipient_name="Bo", relation="cat"))
    await refused(hh, UnknownParcel, c.deliver(hh, TN(77), recipient_name="Bo"))
    await refused(hh, OutOfScope, c.deliver(hh, TN(5), recipient_name="Bo"))
    await c.deliver(hh, TN(3), recipient_name="Bo", otp="4321")
    await refused(hh, AlreadyRecorded, c.deliver(hh, TN(3), recipient_name="Bo", otp="4321"))


async def test_otp_verified_flag(hh):
    result = await c.deliver(hh, TN(3), recipient_name="Bo", otp=" 4321 ")
    rows = await hh.store.query(
        "SELECT payload FROM p_events WHERE doc_id = ? AND type = 'delivered'", (result.doc_id,)
    )
    assert '"otp_verified":true' in rows[0][0]


async def test_fail_follows_the_fold(hh):
    first = await c.fail(hh, TN(2), "not_home")
    assert first.status == "attempt_failed"
    hold = await c.fail(hh, TN(4), "address_incomplete")
    assert hold.status == "on_hold"
    await refused(hh, InvalidTransition, c.fail(hh, TN(4), "not_home"))
    await refused(hh, InvalidInput, c.fail(hh, TN(2), "aliens"))
    refusal = await c.fail(hh, TN(1), "refused")
    assert refusal.status == "returning_to_origin"


async def test_collect_exact_then_deliver(hh):
    result = await c.collect(hh, TN(1), 2500)
    assert result.status == "out_for_delivery"
    position = await c.cash_position(hh)
    assert (position.in_hand, position.limit, position.books) == (2500, 5000, [(DAY, 2500)])
    await c.deliver(hh, TN(1), recipient_name="Cy")
    assert (await c.find(hh, TN(1))).state.status == "delivered"
    await refused(hh, AlreadyRecorded, c.collect(hh, TN(1), 2500))


async def test_collect_different_amount_needs_reason_and_raises_discrepancy(hh):
    await refused(hh, AmountMismatch, c.collect(hh, TN(1), 2000))
    result = await c.collect(hh, TN(1), 2000, reason="customer paid short")
    assert "discrepancy" in result.message
    conflicts = await hh.store.query(
        "SELECT kind FROM p_conflicts WHERE doc_id = ?", (result.doc_id,)
    )
    assert conflicts == [("cod_amount_mismatch",)]


async def test_collect_refusals(hh):
    await refused(hh, NothingToDo, c.collect(hh, TN(2), 100))  # prepaid
    await refused(hh, InvalidInput, c.collect(hh, TN(1), 0))
    await refused(hh, InvalidInput, c.collect(hh, TN(1), 2500, method="iou"))
    await refused(hh, OutOfScope, c.collect(hh, TN(5), 2500))


async def test_cash_limit_blocks_cash_until_handover(hh):
    await c.collect(hh, TN(1), 2500)
    await c.collect(hh, TN(4), 2000)  # 4500 in hand, limit 5000
    await seed(hh.store, [shipment_command(6, cod=1000)])
    error = await refused(hh, CashLimitReached, c.collect(hh, TN(6), 1000))
    assert "hand over" in str(error)
    card = await c.collect(hh, TN(6), 1000, method="card")  # card is not cash in hand
    assert card.status == "out_for_delivery"
    assert (await c.cash_position(hh)).in_hand == 4500
    done = await c.handover(hh)
    assert [(h.amount, h.day) for h in done] == [(4500, DAY)]
    assert (await c.cash_position(hh)).in_hand == 0
    await refused(hh, NothingToDo, c.handover(hh))


async def test_cash_book_is_the_named_one(hh):
    await c.collect(hh, TN(1), 2500)
    book = named_id("cashbook", "C1", DAY)
    rows = await hh.store.query(
        "SELECT owner_kind, owner_id, depot_id, day, collected, in_hand FROM p_cash_books "
        "WHERE doc_id = ?",
        (book,),
    )
    assert rows == [("courier", "C1", "D1", DAY, 2500, 2500)]


async def test_pickup_return(hh):
    r1 = named_id("test-return", "r1")
    result = await c.pickup_return(hh, r1)
    assert result.status == "picked_up"
    await refused(hh, AlreadyRecorded, c.pickup_return(hh, r1))
    await refused(hh, OutOfScope, c.pickup_return(hh, named_id("test-return", "r2")))
    await refused(hh, UnknownDocument, c.pickup_return(hh, named_id("test-return", "nope")))


async def test_courier_commands_refuse_on_a_depot_node(tmp_path):
    depot = await node(tmp_path / "depot.db", DEPOT_DEVICE)
    try:
        await refused(depot, WrongRole, c.load_route(depot, DAY))
        await refused(depot, WrongRole, c.handover(depot))
    finally:
        await depot.close()
