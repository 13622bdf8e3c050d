"""fixtures: deterministic, realistic, and valid against the protocol's own rules."""

from __future__ import annotations

import statistics
import uuid
from collections import Counter, defaultdict
from itertools import count

import msgspec
import pytest

import fixtures
from fixtures import Dataset, ShipmentPlan, ShipmentSpec, Step, StepKind, build_dataset
from protocol.cash import fold_cash_book
from protocol.events import (
    AttemptFailed,
    CashCollected,
    CashCounted,
    CashHandedOver,
    CodCollected,
    CodCollectedPayload,
    CollectedPayload,
    CountPayload,
    Delivered,
    Event,
    HandoverPayload,
    ItemInspection,
    ItemsInspected,
    OutForDelivery,
    ProofOfDelivery,
    ReturnedToOrigin,
    ReturnReceived,
    SenderDecision,
)
from protocol.ids import validate_tracking_number
from protocol.lifecycle import fold_shipment
from protocol.money import Money
from protocol.returns import fold_return
from protocol.vocab import (
    FAILURE_OUTCOME,
    ConflictKind,
    FailureOutcome,
    FailureReason,
    PaymentMethod,
    PodRelation,
    ReturnStatus,
    ShipmentStatus,
)

K = StepKind


@pytest.fixture(scope="module")
def mid() -> Dataset:
    """~3,500 shipments: big enough for stable proportions, fast to build."""
    return build_dataset(7, depots=3, couriers_per_depot=10, merchants=20)


def encoded(data: object) -> bytes:
    return msgspec.json.encode(data)


# ---- determinism --------------------------------------------------------------


@pytest.mark.parametrize("make", [fixtures.tiny, fixtures.small])
def test_same_seed_gives_identical_bytes(make) -> None:
    assert encoded(make(3)) == encoded(make(3))


def test_same_seed_identical_on_a_bigger_day() -> None:
    def make() -> Dataset:
        return build_dataset(11, depots=2, couriers_per_depot=5, merchants=10)

    assert encoded(make()) == encoded(make())


def test_different_seeds_differ() -> None:
    one, two = fixtures.small(1), fixtures.small(2)
    assert encoded(one) != encoded(two)
    assert {s.id for s in one.shipments}.isdisjoint(s.id for s in two.shipments)
    assert {d.id for d in one.network.depots}.isdisjoint(d.id for d in two.network.depots)


def test_different_days_differ_and_keep_tracking_numbers_apart() -> None:
    monday, tuesday = fixtures.small(1, day="2025-06-02"), fixtures.small(1, day="2025-06-03")
    assert encoded(monday.network) == encoded(tuesday.network)
    assert {s.tracking_number for s in monday.shipments}.isdisjoint(
        s.tracking_number for s in tuesday.shipments
    )


def dated_parts_masked(data: Dataset) -> str:
    """The dataset's JSON with what its calendar day sets masked: the day itself, the
    timestamp half of each shipment id, and each tracking number (its serial block)."""
    text = encoded(data).decode()
    for n, spec in enumerate(data.shipments):
        text = text.replace(spec.tracking_number, f"<tracking {n}>")
        text = text.replace(spec.id, f"<id ...{spec.id[13:]}>")
    return text.replace(data.day, "<day>")


@pytest.mark.parametrize("day_number", [0, 3])
def test_the_calendar_day_sets_only_the_dates(day_number: int) -> None:
    days = ["2025-06-02", "2026-12-04", "2028-02-29", "2031-12-31"]
    built = [fixtures.tiny(5, day=d, day_number=day_number) for d in days]
    first = dated_parts_masked(built[0])
    assert "<day>" in first and "<tracking 0>" in first
    for day, data in zip(days, built, strict=True):
        assert data.day == day
        assert {s.route_day for s in data.shipments} == {day}
        assert dated_parts_masked(data) == first, f"{day} holds other parcels than {days[0]}"
    assert [s.cod_amount for s in built[0].shipments] == [s.cod_amount for s in built[1].shipments]


def test_another_day_number_holds_other_parcels() -> None:
    first, second = fixtures.tiny(5, day_number=0), fixtures.tiny(5, day_number=1)
    assert encoded(first.network) == encoded(second.network)
    assert dated_parts_masked(first) != dated_parts_masked(second)


def test_network_ids_are_stable_when_it_grows() -> None:
    few = fixtures.generate_network(5, depots=2, couriers_per_depot=2, merchants=3)
    more = fixtures.generate_network(5, depots=4, couriers_per_depot=2, merchants=6)
    assert [d.id for d in few.depots] == [d.id for d in more.depots[:2]]
    assert [m.id for m in few.merchants] == [m.id for m in more.merchants[:3]]


def test_round_trips_through_msgpack() -> None:
    data = fixtures.small(1)
    again = msgspec.msgpack.decode(msgspec.msgpack.encode(data), type=Dataset)
    assert again == data


# ---- shapes and sizes ---------------------------------------------------------


def test_tiny_and_small_sizes() -> None:
    tiny, small = fixtures.tiny(), fixtures.small()
    assert (len(tiny.network.depots), len(tiny.network.couriers)) == (1, 3)
    assert len(tiny.network.merchants) == 2
    assert (len(small.network.depots), len(small.network.couriers)) == (2, 6)
    for data, (lo, hi) in ((tiny, (8, 12)), (small, (16, 24))):
        per_courier = Counter(s.courier_id for s in data.shipments)
        assert set(per_courier) == {c.id for c in data.network.couriers}
        assert all(lo <= n <= hi for n in per_courier.values())
        assert len(data.plans) == len(data.shipments)
        assert len(data.handovers) == len(data.network.couriers)


def test_route_seq_is_one_to_n_per_courier_and_slots_follow_it(mid: Dataset) -> None:
    routes: dict[str, list[ShipmentSpec]] = defaultdict(list)
    for spec in mid.shipments:
        routes[spec.courier_id].append(spec)
    couriers = {c.id: c for c in mid.network.couriers}
    for courier_id, route in routes.items():
        assert [s.route_seq for s in route] == list(range(1, len(route) + 1))
        assert 80 <= len(route) <= 150
        assert [s.slot_start for s in route] == sorted(s.slot_start for s in route)
        assert all(s.depot_id == couriers[courier_id].depot_id for s in route)
        assert all(s.route_day == mid.day for s in route)


def test_ids_are_unique_and_well_formed(mid: Dataset) -> None:
    net = mid.network
    ids = [x.id for x in (*net.depots, *net.couriers, *net.merchants, *mid.shipments)]
    assert len(ids) == len(set(ids))
    assert all(str(uuid.UUID(i)) == i for i in ids)
    assert all(uuid.UUID(s.id).version == 7 for s in mid.shipments)
    barcodes = [p.barcode for s in mid.shipments for p in s.parcels]
    assert len(barcodes) == len(set(barcodes))
    skus = [p.sku for m in net.merchants for p in m.catalogue]
    assert len(skus) == len(set(skus))
    assert len({d.code for d in net.depots}) == len(net.depots)
    assert len({c.code for c in net.couriers}) == len(net.couriers)


def test_tracking_numbers_validate_and_are_unique(mid: Dataset) -> None:
    numbers = [s.tracking_number for s in mid.shipments]
    assert all(validate_tracking_number(n) == n for n in numbers)
    assert all(n.startswith("PS") and n.endswith("NL") for n in numbers)
    assert len(numbers) == len(set(numbers))


def test_shipments_are_consistent(mid: Dataset) -> None:
    merchants = {m.id: m for m in mid.network.merchants}
    for spec in mid.shipments:
        catalogue = {p.sku: p for p in merchants[spec.merchant_id].catalogue}
        assert spec.items and spec.parcels
        assert all(
            i.quantity >= 1 and catalogue[i.sku].unit_price_minor == i.unit_price_minor
            for i in spec.items
        )
        assert spec.cod_amount in (None, spec.items_total)
        assert spec.currency == merchants[spec.merchant_id].currency == "EUR"
        assert (spec.otp is not None) == spec.otp_required
        assert spec.otp is None or (len(spec.otp) == 6 and spec.otp.isdigit())
        assert spec.recipient_phone.startswith("+316") and len(spec.recipient_phone) == 12
        assert spec.slot_start < spec.slot_end


def test_another_country() -> None:
    data = build_dataset(1, depots=2, couriers_per_depot=2, merchants=3, country="PL")
    assert data.network.currency == "PLN"
    assert all(s.tracking_number.endswith("PL") and s.currency == "PLN" for s in data.shipments)
    assert all(s.postcode[2] == "-" for s in data.shipments)
    with pytest.raises(ValueError, match="unknown country"):
        fixtures.generate_network(1, country="XX")


# ---- proportions --------------------------------------------------------------


def first_failure(plan: ShipmentPlan) -> FailureReason | None:
    for step in plan.outcome:
        if step.kind == K.DELIVER:
            return None
        if step.kind == K.FAIL:
            return step.reason
    return None


def test_cash_on_delivery_share_and_amounts(mid: Dataset) -> None:
    cods = [s.cod_amount for s in mid.shipments if s.cod_amount is not None]
    assert 0.66 <= len(cods) / len(mid.shipments) <= 0.74
    assert 500 <= min(cods) and max(cods) <= 25_000
    assert statistics.median(cods) < statistics.mean(cods) < 10_000  # skewed toward small


def test_failed_first_attempts_are_about_ten_percent_mostly_not_home(mid: Dataset) -> None:
    firsts = [first_failure(p) for p in mid.plans]
    retry = [r for r in firsts if r and FAILURE_OUTCOME[r] != FailureOutcome.RETURN]
    assert 0.07 <= len(retry) / len(mid.plans) <= 0.13
    reasons = Counter(retry)
    assert reasons.most_common(1)[0][0] == FailureReason.NOT_HOME
    assert reasons[FailureReason.NOT_HOME] / len(retry) > 0.5


def test_cod_returned_to_origin_share(mid: Dataset) -> None:
    cod = [p for s, p in zip(mid.shipments, mid.plans, strict=True) if s.cod_amount is not None]
    rto = [p for p in cod if p.final == ShipmentStatus.RETURNED_TO_ORIGIN]
    assert 0.15 <= len(rto) / len(cod) <= 0.25
    assert all(p.outcome[-1].kind == K.RETURN_TO_ORIGIN for p in rto)


def test_customer_returns_share_and_grades(mid: Dataset) -> None:
    delivered = [
        (s, p) for s, p in zip(mid.shipments, mid.plans, strict=True) if p.final == "delivered"
    ]
    returned = [(s, p) for s, p in delivered if p.outcome[-1].kind == K.INSPECT]
    assert 0.10 <= len(returned) / len(delivered) <= 0.20
    grades = Counter(g.grade for _, p in returned for g in p.outcome[-1].grades)
    assert len(grades) >= 4
    for spec, plan in returned:
        asked, inspect = plan.outcome[-2], plan.outcome[-1]
        assert asked.kind == K.CUSTOMER_RETURN and asked.note
        bought = {i.sku: i.quantity for i in spec.items}
        assert all(1 <= line.quantity <= bought[line.sku] for line in asked.items)
        assert [(g.sku, g.quantity) for g in inspect.grades] == [
            (line.sku, line.quantity) for line in asked.items
        ]
        assert 0 <= (inspect.amount or 0) <= spec.items_total


# ---- plans replay through the protocol's rules --------------------------------


def replay(spec: ShipmentSpec, steps: tuple[Step, ...]) -> list[Event]:
    ids = count()
    events: list[Event] = []
    for step in steps:
        n = next(ids)
        base = {"id": f"{spec.id}:{n}", "hlc": f"{n:013d}.000000.dev", "device": "d", "actor": "a"}
        if step.kind == K.OUT_FOR_DELIVERY:
            events.append(OutForDelivery(**base, payload=OutForDelivery.Body(spec.courier_id)))
        elif step.kind == K.FAIL:
            assert step.reason is not None
            events.append(AttemptFailed(**base, payload=AttemptFailed.Body(step.reason)))
        elif step.kind == K.COLLECT:
            assert step.amount is not None and step.method is not None
            body = CodCollectedPayload(step.amount, spec.currency, step.method, step.note)
            events.append(CodCollected(**base, payload=body))
        elif step.kind == K.DELIVER:
            pod = ProofOfDelivery(spec.recipient_name, PodRelation.SELF, 0)
            events.append(Delivered(**base, payload=pod))
        elif step.kind == K.HOLD_DECISION:
            assert step.decision is not None
            events.append(
                SenderDecision(**base, payload=SenderDecision.Body(decision=step.decision))
            )
        elif step.kind == K.RETURN_TO_ORIGIN:
            events.append(ReturnedToOrigin(**base))
    return events


def test_every_plan_ends_in_its_final_status(mid: Dataset) -> None:
    for spec, plan in zip(mid.shipments, mid.plans, strict=True):
        assert plan.shipment_id == spec.id
        expected = Money(spec.cod_amount, spec.currency) if spec.cod_amount is not None else None
        state = fold_shipment(replay(spec, plan.outcome), expected)
        assert state.status == plan.final, plan
        kinds = {c.kind for c in state.conflicts}
        short = any(s.injected for s in plan.outcome if s.kind == K.COLLECT)
        assert kinds == ({ConflictKind.COD_AMOUNT_MISMATCH} if short else set()), plan
        collected = [s for s in plan.outcome if s.kind == K.COLLECT]
        assert len(collected) == (spec.cod_amount is not None and plan.final == "delivered")


def test_returns_replay_through_the_returns_fold(mid: Dataset) -> None:
    for plan in mid.plans:
        if plan.outcome[-1].kind != K.INSPECT:
            continue
        grades = [
            ItemInspection(g.sku, g.grade, g.disposition, g.quantity)
            for g in plan.outcome[-1].grades
        ]
        base = {"hlc": "0000000000001.000000.dev", "device": "d", "actor": "a"}
        events = [
            ReturnReceived(id="r1", **base, payload=ReturnReceived.Body("depot")),
            ItemsInspected(id="r2", **base, payload=ItemsInspected.Body(grades)),
        ]
        state = fold_return(events)
        assert state.status == ReturnStatus.INSPECTED
        assert list(state.items) == grades


def test_handovers_and_injected_discrepancies_are_all_detected(mid: Dataset) -> None:
    couriers = {c.id: c for c in mid.network.couriers}
    cash: dict[str, list[Event]] = defaultdict(list)
    for spec, plan in zip(mid.shipments, mid.plans, strict=True):
        for step in plan.outcome:
            if step.kind == K.COLLECT and step.method == PaymentMethod.CASH:
                assert step.amount is not None
                body = CollectedPayload(step.amount, spec.currency, spec.id)
                hlc = "0000000000001.000000.dev"
                cash[spec.courier_id].append(
                    CashCollected(id=spec.id, hlc=hlc, device="d", actor="a", payload=body)
                )
    flagged = set()
    for h in mid.handovers:
        assert h.depot_id == couriers[h.courier_id].depot_id
        base = {"hlc": "0000000000002.000000.dev", "device": "d", "actor": "a"}
        declared = HandoverPayload(h.declared_minor, h.currency, "h1", h.depot_id)
        counted = CountPayload(h.counted_minor, h.currency, "h1", h.depot_id)
        events = [
            *cash[h.courier_id],
            CashHandedOver(id="h", **base, payload=declared),
            CashCounted(id="c", **base, payload=counted),
        ]
        book = fold_cash_book(events, h.currency)
        assert book.collected.amount == h.collected_minor == h.declared_minor
        assert book.in_hand.amount == 0
        assert bool(book.discrepancies) == h.injected
        if book.discrepancies:
            flagged.add(h.courier_id)
    planted = {d.courier_id for d in mid.discrepancies if d.kind == "count_mismatch"}
    assert planted and flagged == planted
    shorts = [d for d in mid.discrepancies if d.kind == "short_collection"]
    short_steps = [s for p in mid.plans for s in p.outcome if s.injected]
    assert shorts and len(shorts) == len(short_steps)
    assert all(d.actual_minor < d.expected_minor for d in shorts)


def test_injection_can_be_switched_off_and_is_guaranteed_on_tiny() -> None:
    clean = fixtures.tiny(inject=False)
    assert clean.discrepancies == []
    assert not any(s.injected for p in clean.plans for s in p.outcome)
    assert not any(h.injected for h in clean.handovers)
    planted = Counter(d.kind for d in fixtures.tiny().discrepancies)
    assert planted["short_collection"] >= 1 and planted["count_mismatch"] >= 1
