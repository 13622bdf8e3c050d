"""KPIs per day from a hand-computed world: slots, first attempts, overdue COD, currencies.

* a - route day 2026-01-01, slot until 12:00, delivered 11:00 at the first
  attempt, 10.00 EUR collected then (three days before "now": overdue);
* b - route day 2026-01-02, slot until 12:00, one failed attempt, delivered
  13:00 (late), 5.00 USD collected then (one day and 11 hours before "now":
  not overdue with a two-day limit);
* c - route day 2026-01-02, no slot, announced only.
"""

from __future__ import annotations

import msgspec

from protocol.kpis import counts_of, kpis
from protocol.ledger import ShipmentRecord
from protocol.reconcile import Reconciliation

from .reconcile_world import DAY, T0, delivered_and_paid, e, run, shipment

HOUR = 3_600_000
NOW = T0 + 3 * DAY
OVERDUE_AFTER = 2 * DAY


def _world() -> Reconciliation:
    a = shipment("a", delivered_and_paid("a", 11 * HOUR, 1000), slot_end="12:00")
    b_events = [
        e("out_for_delivery", DAY + 9 * HOUR, "b"),
        e("attempt_failed", DAY + 10 * HOUR, "b"),
        e("out_for_delivery", DAY + 12 * HOUR, "b"),
        e("delivered", DAY + 13 * HOUR, "b"),
        e("cod_collected", DAY + 13 * HOUR + 1, "b", amount=500, currency="USD"),
    ]
    eur = shipment("b", b_events, cod=500, route_day="2026-01-02", slot_end="12:00")
    b = ShipmentRecord("b", msgspec.structs.replace(eur.info, currency="USD"), eur.events)
    c = shipment("c", [e("created", 0, "c")], cod=0, route_day="2026-01-02")
    return run([a, b, c])


def _fields(row: object) -> dict[str, object]:
    names = "shipments delivered first_attempt with_slot on_time cod_outstanding cod_overdue"
    return {name: getattr(row, name) for name in [*names.split(), "currency"]}


def test_kpis_per_day_count_slots_attempts_and_overdue_cash() -> None:
    day1, prepaid, day2 = kpis(_world(), "day", NOW, OVERDUE_AFTER)  # day 2: EUR, USD
    assert (day1.key, prepaid.key, day2.key) == ("2026-01-01", "2026-01-02", "2026-01-02")
    assert (prepaid.currency, prepaid.shipments, prepaid.cod_outstanding) == ("EUR", 1, 0)
    assert _fields(day1) == {
        "shipments": 1,
        "delivered": 1,
        "first_attempt": 1,
        "with_slot": 1,
        "on_time": 1,
        "cod_outstanding": 1000,
        "cod_overdue": 1000,
        "currency": "EUR",
    }
    assert _fields(day2) == {
        "shipments": 1,
        "delivered": 1,
        "first_attempt": 0,
        "with_slot": 1,
        "on_time": 0,
        "cod_outstanding": 500,
        "cod_overdue": 0,
        "currency": "USD",
    }
    assert (day1.on_time_rate, day2.on_time_rate, day2.first_attempt_rate) == (1.0, 0.0, 0.0)


def test_a_group_with_cash_in_several_currencies_has_a_row_per_currency() -> None:
    eur, usd = kpis(_world(), "all", NOW, OVERDUE_AFTER)  # issue 16: never "mixed 1500"
    assert [(r.currency, r.cod_outstanding, r.cod_overdue) for r in (eur, usd)] == [
        ("EUR", 1000, 1000),
        ("USD", 500, 0),
    ]
    everything = counts_of([eur, usd])
    assert (everything.shipments, everything.delivered, everything.on_time) == (3, 2, 1)
    later = kpis(_world(), "all", NOW + DAY, OVERDUE_AFTER)
    assert [r.cod_overdue for r in later] == [1000, 500]  # b's cash is overdue a day later
