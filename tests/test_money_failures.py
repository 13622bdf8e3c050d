"""Issue 16: the finance team's failures, each a test (failure 5 is in
test_money_boundary.py, failure 6 in test_money_limit_sync.py).

Over the wire against the real central process, except failure 2, which is the
handheld's own fold (its cash and its handover, offline)."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any

import msgspec
from click.testing import CliRunner

from edge import commands as c
from parcelsync_cli import main
from protocol.commands import DocCommand
from protocol.events import (
    BatchPayload,
    CashCollected,
    CashCounted,
    CashDeposited,
    CashHandedOver,
    CodCollected,
    CodCollectedPayload,
    CollectedPayload,
    CountPayload,
    Event,
    HandoverPayload,
)
from protocol.ids import courier_book_id, make_tracking_number, named_id, new_id
from protocol.info import CashBookInfo
from protocol.ledger import day_of

from ._edge_world import handheld, node, seed, shipment_command
from .server_helpers import clock, delivery_events, office_rows, push_all, routed, stamp
from .server_helpers import node as wire_node
from .server_helpers import seed as seed_central

if TYPE_CHECKING:
    from .server_fixtures import Central, Names

pytest_plugins = ["tests.server_fixtures"]


def _book(names: Names, day: str, *events: Event) -> tuple[str, DocCommand]:
    info = CashBookInfo("courier", names.courier, day, "EUR", names.depot, names.courier)
    command = DocCommand.build("cash", "cashbook", list(events), info=msgspec.to_builtins(info))
    return courier_book_id(names.courier, day), command


def _collect_and_hand_over(
    hh_id: str, names: Names, sid: str, amount: int, door: bool
) -> tuple[list[tuple[str, DocCommand]], Event, str]:
    """What one handheld records: (delivery and) a cash collection, its book entry, and
    the handover of it. Returns the commands, the collection and the handover id."""
    hlc = clock(hh_id)
    events = delivery_events(hh_id, names.courier, amount) if door else []
    if not door:
        pay = CodCollectedPayload(amount=amount, currency="EUR")
        events = [CodCollected(**stamp(hh_id, names.courier, hlc), payload=pay)]
    cod = events[-1]
    day, hid = day_of(cod.hlc), new_id()
    entry = CollectedPayload(amount=amount, currency="EUR", shipment_id=sid)
    handed = HandoverPayload(amount=amount, currency="EUR", handover_id=hid, depot_id=names.depot)
    book = _book(
        names,
        day,
        CashCollected(**stamp(hh_id, names.courier, hlc), payload=entry),
        CashHandedOver(**stamp(hh_id, names.courier, hlc), payload=handed),
    )
    return [(sid, DocCommand.build("collect", "shipment", events)), book], cod, hid


async def _desk(
    central: Central,
    names: Names,
    tmp_path: Path,
    depot: tuple[str, str],
    counts: list[tuple[str, int]],
    deposit: int,
) -> None:
    """The depot desk counts handovers and deposits ``deposit`` (0: no deposit)."""
    depot_id, token = depot
    day = day_of(clock(depot_id).now().encode())
    async with wire_node(central, tmp_path / "depot.db", depot_id, token) as desk:
        await desk.sync()
        hlc = clock(depot_id)
        commands = []
        for hid, amount in counts:
            pay = CountPayload(amount=amount, currency="EUR", handover_id=hid, depot_id=names.depot)
            count = CashCounted(**stamp(depot_id, depot_id, hlc), payload=pay)
            commands.append(
                (
                    courier_book_id(names.courier, day),
                    DocCommand.build("count", "cashbook", [count]),
                )
            )
        if deposit:
            banked = BatchPayload(amount=deposit, currency="EUR", batch_id=new_id())
            event = CashDeposited(**stamp(depot_id, depot_id, hlc), payload=banked)
            info = CashBookInfo("depot", names.depot, day, "EUR", names.depot)
            command = DocCommand.build(
                "deposit", "cashbook", [event], info=msgspec.to_builtins(info)
            )
            commands.append((named_id("cashbook", "depot", names.depot, day), command))
        await push_all(desk, commands)


def _remit(central: Central, names: Names) -> Any:
    with central.api() as api:
        return api.post(
            "/api/v1/office/remittances",
            json={"merchant_id": names.merchant, "from": "2000-01-01", "to": "2100-01-01"},
        )


def _statement(central: Central, names: Names) -> dict[str, Any]:
    (row,) = office_rows(
        central, "merchants", merchant=names.merchant, **{"from": "2000-01-01", "to": "2100-01-01"}
    )
    return row


async def test_1_double_collection_pays_the_merchant_once_and_refunds_by_entries(
    central: Central, names: Names, tmp_path: Path
) -> None:
    (sid,) = await seed_central(central, names, 1)  # COD EUR 10.00, fee 0
    depot = await routed(central, names, tmp_path, [sid])
    first_id, first_token = central.enrol("courier", depot_id=names.depot, courier_id=names.courier)
    second_id, second_token = central.enrol(
        "courier", depot_id=names.depot, courier_id=names.courier
    )
    async with (
        wire_node(central, tmp_path / "a.db", first_id, first_token) as a,
        wire_node(central, tmp_path / "b.db", second_id, second_token) as b,
    ):
        await a.sync()
        await b.sync()  # both go offline with the parcel, both collect it
        one, taken, h1 = _collect_and_hand_over(first_id, names, sid, 1000, door=True)
        two, again, h2 = _collect_and_hand_over(second_id, names, sid, 1000, door=False)
        # the one first in (hlc, id) order stands; the other is the extra
        extra = max((taken, again), key=lambda e: (e.hlc, e.id))
        await push_all(a, one)
        await push_all(b, two)
    await _desk(central, names, tmp_path, depot, [(h1, 1000), (h2, 1000)], deposit=2000)
    (conflict,) = office_rows(central, "conflicts", merchant=names.merchant)
    path = f"/api/v1/office/conflicts/{sid}/{conflict['conflict_id']}/resolve"
    with central.api() as api:
        assert api.post(path, json={"note": "the first one stands"}).status_code == 201
    paid = _remit(central, names)
    assert paid.status_code == 201, paid.text
    assert [batch["amount"] for batch in paid.json()] == [1000]  # once, not 2000
    (open_,) = office_rows(
        central, "discrepancies", kind="double_collection", merchant=names.merchant
    )
    assert (open_["doc_id"], open_["amount"], open_["who"]) == (sid, 1000, "office")
    ledger = {r["account"]: r["balance"] for r in office_rows(central, "ledger")}
    assert ledger[f"suspense:{sid}"] == 1000 and ledger[f"paid:{names.merchant}"] == 1000
    body = {
        "entry_id": extra.id,
        "amount": 1000,
        "reason": "refunded at the door",
        "discrepancy": open_["discrepancy_id"],
    }
    with central.api() as api:
        refund = api.post("/api/v1/office/reversals", json=body)
    assert refund.status_code == 201, refund.text
    assert (
        office_rows(central, "discrepancies", kind="double_collection", merchant=names.merchant)
        == []
    )
    ledger = {r["account"]: r["balance"] for r in office_rows(central, "ledger")}
    assert f"suspense:{sid}" not in ledger and ledger[f"recipient:{sid}"] == -1000
    assert _remit(central, names).status_code == 409


async def test_2_foreign_cash_is_kept_and_handed_over_in_its_own_currency(tmp_path: Path) -> None:
    hh = await node(tmp_path / "hh.db", handheld(), cash_limit=5000)
    await seed(
        hh.store, [shipment_command(1, cod=2500), shipment_command(2, cod=2000, currency="USD")]
    )
    await c.collect(hh, make_tracking_number(1), 2500)
    await c.collect(hh, make_tracking_number(2), 2000)  # USD 20.00 on a EUR handheld
    position = await c.cash_position(hh)
    assert (position.in_hand, position.other_currencies) == (2500, {"USD": 2000})
    done = await c.handover(hh)
    assert sorted((h.currency, h.amount) for h in done) == [("EUR", 2500), ("USD", 2000)]
    after = await c.cash_position(hh)
    assert (after.in_hand, after.other_currencies) == (0, {})
    await hh.close()


async def test_3_cash_in_a_couriers_hand_is_in_transit_not_payable(
    central: Central, names: Names, tmp_path: Path
) -> None:
    (sid,) = await seed_central(central, names, 1)
    depot = await routed(central, names, tmp_path, [sid])
    hh_id, token = central.enrol("courier", depot_id=names.depot, courier_id=names.courier)
    async with wire_node(central, tmp_path / "hh.db", hh_id, token) as hh:
        await hh.sync()
        commands, _, hid = _collect_and_hand_over(hh_id, names, sid, 1000, door=True)
        await push_all(hh, commands)
    row = _statement(central, names)
    assert (row["payable"], row["payable_now"], row["in_transit"]) == (1000, 0, 1000)
    (line,) = office_rows(central, "statement", merchant=names.merchant)
    assert (line["where"], line["in_transit"]) == ("desk", 1000)
    assert _remit(central, names).status_code == 409  # not yet at the bank
    await _desk(central, names, tmp_path, depot, [(hid, 1000)], deposit=1000)
    row = _statement(central, names)
    assert (row["payable_now"], row["in_transit"]) == (1000, 0)
    assert [b["amount"] for b in _remit(central, names).json()] == [1000]


async def test_4_head_office_records_a_reversal_from_the_cli(
    central: Central, names: Names, tmp_path: Path
) -> None:
    (sid,) = await seed_central(central, names, 1)
    await routed(central, names, tmp_path, [sid])
    hh_id, token = central.enrol("courier", depot_id=names.depot, courier_id=names.courier)
    async with wire_node(central, tmp_path / "hh.db", hh_id, token) as hh:
        await hh.sync()
        commands, cod, _ = _collect_and_hand_over(hh_id, names, sid, 1000, door=True)
        await push_all(hh, commands)
    args = ["office", "reverse", "--url", central.url, "--token", central.office_token]
    args += [
        "--entry",
        cod.id,
        "--amount",
        "2.50",
        "--currency",
        "EUR",
        "--reason",
        "2.50 returned to the recipient",
    ]
    done = CliRunner().invoke(main, args)
    assert done.exit_code == 0, done.output
    assert "reversed EUR 2.50" in done.output
    (line,) = office_rows(central, "statement", merchant=names.merchant)
    assert (line["reversed"], line["payable"]) == (250, 750)
    too_much = CliRunner().invoke(
        main,
        [*args[:6], "--entry", cod.id, "--amount", "9.00", "--currency", "EUR", "--reason", "x"],
    )
    assert too_much.exit_code != 0 and "more than" in too_much.output
