"""Small worlds of plain records for the reconciliation tests."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from protocol.events import Event
from protocol.info import CashBookInfo, ReturnInfo, ShipmentInfo
from protocol.ledger import CashBookRecord, ReturnRecord, ShipmentRecord
from protocol.reconcile import Reconciliation, reconcile
from protocol.statement import FeeTerms, Period

from .factories import ev, event_id

T0 = 1_767_225_600_000  # 2026-01-01 00:00 UTC
DAY = 86_400_000
ALL_TIME = Period()


def e(kind: str, ms: int, *name: object, **fields: Any) -> Any:
    """An event with an id derived from ``name`` (unique per test world)."""
    return ev(kind, T0 + ms, id=event_id(kind, *name, ms), **fields)


def shipment(
    sid: str,
    events: Iterable[Event],
    cod: int = 1000,
    merchant: str = "M1",
    courier: str = "C1",
    depot: str = "D1",
    **info: Any,
) -> ShipmentRecord:
    fields = {"route_day": "2026-01-01"} | info
    return ShipmentRecord(
        sid,
        ShipmentInfo(
            merchant_id=merchant,
            tracking_number=f"TN-{sid}",
            currency="EUR",
            cod_amount=cod,
            depot_id=depot,
            courier_id=courier,
            **fields,
        ),
        tuple(events),
    )


def book(
    bid: str,
    owner: str,
    events: Iterable[Event],
    kind: str = "courier",
    day: str = "2026-01-01",
    depot: str = "D1",
) -> CashBookRecord:
    info = CashBookInfo(owner_kind=kind, owner_id=owner, day=day, currency="EUR", depot_id=depot)
    return CashBookRecord(bid, info, tuple(events))


def a_return(
    rid: str, shipment_id: str, events: Iterable[Event], merchant: str = "M1"
) -> ReturnRecord:
    return ReturnRecord(
        rid, ReturnInfo(shipment_id=shipment_id, merchant_id=merchant, depot_id="D1"), tuple(events)
    )


def run(
    shipments: Iterable[ShipmentRecord],
    books: Iterable[CashBookRecord] = (),
    returns: Iterable[ReturnRecord] = (),
    *,
    terms: dict[str, FeeTerms] | None = None,
    limits: dict[str, int] | None = None,
    period: Period = ALL_TIME,
    today: str = "2026-01-02",
) -> Reconciliation:
    return reconcile(
        list(shipments),
        list(books),
        list(returns),
        terms=terms or {},
        limits=limits or {},
        period=period,
        today=today,
    )


def delivered_and_paid(sid: str, ms: int, amount: int, actor: str = "C1") -> list[Event]:
    """Out for delivery, delivered, COD collected in cash."""
    return [
        e("out_for_delivery", ms, sid, courier_id=actor, actor=actor),
        e("delivered", ms + 1, sid, actor=actor),
        e("cod_collected", ms + 2, sid, amount=amount, actor=actor),
    ]
