"""Head-office reconciliation: where every parcel and every unit of cash is.

:func:`reconcile` is a pure function of the synced documents (plain records,
see :mod:`protocol.ledger`), the merchants' fee terms, the couriers' cash
limits, a statement period and today's UTC day. Every figure comes from the
same folds the handheld and depot apply. Identities kept exactly:

* per shipment: ``expected == collected + outstanding + refused``;
* per courier: ``collected - reversed == handed_over + in_hand``;
* per handover: ``counted == declared + discrepancy`` (listed as
  ``count_mismatch``);
* per statement: ``payable == delivered_cod - fees - reversals - frozen``.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from .cash import fold_by_currency
from .cash_links import HandoverEntry, Links, attribute_deposits, depot_deposits, link_books
from .conflicts import Conflict
from .discrepancies import Discrepancy, discrepancies
from .events import CashRemitted
from .journal import Journal, journal
from .ledger import CashBookRecord, CodLine, ReturnRecord, ShipmentRecord, cod_line
from .release import release_handed_back
from .returns import ReturnState, fold_return
from .statement import FeeTerms, Period, Statement, statements


@dataclass(frozen=True, slots=True)
class CourierCash:
    """A courier's cash over all its books: ``collected - reversed == handed_over + in_hand``."""

    courier_id: str
    currency: str
    collected: int
    reversed: int
    handed_over: int
    in_hand: int
    overdue: int  # in hand on books of days before today: a handover is overdue
    limit: int | None

    @property
    def over_limit(self) -> bool:
        return self.limit is not None and self.in_hand > self.limit


@dataclass(frozen=True, slots=True)
class DepotCash:
    """A depot's desk: handed over to it, counted, deposited."""

    depot_id: str
    currency: str
    handed_over: int
    counted: int
    discrepancy: int
    uncounted: int  # declared in handovers the desk has not counted yet
    deposited: int

    @property
    def at_desk(self) -> int:
        """Counted and not yet deposited."""
        return self.counted - self.deposited


@dataclass(frozen=True, slots=True)
class OpenConflict:
    doc_id: str
    doc_type: str
    merchant_id: str
    conflict: Conflict


@dataclass(frozen=True, slots=True)
class ReturnLine:
    doc_id: str
    record: ReturnRecord
    state: ReturnState


@dataclass(frozen=True, slots=True)
class Remittance:
    batch_id: str
    book_id: str
    merchant_id: str
    currency: str
    amount: int
    shipment_ids: tuple[str, ...]
    hlc: str
    actor: str


@dataclass(frozen=True, slots=True)
class Reconciliation:
    """Everything head office reconciles, computed at one moment."""

    lines: dict[str, CodLine]  # every shipment, by doc id
    handovers: list[HandoverEntry]
    couriers: list[CourierCash]
    depots: list[DepotCash]
    statements: list[Statement]
    remittances: list[Remittance]
    discrepancies: list[Discrepancy]
    conflicts: list[OpenConflict]
    returns: list[ReturnLine]
    stock: dict[tuple[str, str, str], int]  # (merchant, depot, sku) -> restocked - dispatched
    journal: Journal

    @property
    def cod(self) -> list[CodLine]:
        """Ledger lines of shipments with COD expected or collected."""
        return [line for line in self.lines.values() if line.expected or line.collected]


def _couriers(
    books: Sequence[CashBookRecord], limits: dict[str, int], today: str
) -> list[CourierCash]:
    sums: dict[tuple[str, str], list[int]] = {}
    for book in books:
        if book.info.owner_kind != "courier":
            continue
        for currency, state in fold_by_currency(book.events, book.info.currency).items():
            row = sums.setdefault((book.info.owner_id, currency), [0, 0, 0, 0, 0])
            late = state.in_hand.amount if book.info.day < today else 0
            for i, value in enumerate(
                (state.collected, state.reversed, state.handed_over, state.in_hand)
            ):
                row[i] += value.amount
            row[4] += late
    return [
        CourierCash(courier, currency, row[0], row[1], row[2], row[3], row[4], limits.get(courier))
        for (courier, currency), row in sorted(sums.items())
    ]


def _depots(
    handovers: list[HandoverEntry], deposited: dict[tuple[str, str], int]
) -> list[DepotCash]:
    sums: dict[tuple[str, str], list[int]] = {key: [0, 0, 0, 0] for key in deposited}
    for h in handovers:
        row = sums.setdefault((h.depot_id, h.currency), [0, 0, 0, 0])
        row[0] += h.declared
        row[1] += h.counted or 0
        row[2] += h.discrepancy
        row[3] += h.declared if h.counted is None else 0
    return [
        DepotCash(
            depot, currency, row[0], row[1], row[2], row[3], deposited.get((depot, currency), 0)
        )
        for (depot, currency), row in sorted(sums.items())
    ]


def _remittances(books: Sequence[CashBookRecord]) -> list[Remittance]:
    found = [
        Remittance(
            e.payload.batch_id,
            book.doc_id,
            e.payload.merchant_id,
            e.payload.currency,
            e.payload.amount,
            tuple(e.payload.shipment_ids),
            e.hlc,
            e.actor,
        )
        for book in books
        for e in book.events
        if isinstance(e, CashRemitted)
    ]
    return sorted(found, key=lambda r: (r.hlc, r.batch_id))


def _returns(
    returns: Iterable[ReturnRecord],
) -> tuple[list[ReturnLine], dict[tuple[str, str, str], int]]:
    lines: list[ReturnLine] = []
    stock: dict[tuple[str, str, str], int] = {}
    for record in returns:
        state = fold_return(record.events)
        lines.append(ReturnLine(record.doc_id, record, state))
        for depot, sku, quantity in state.stock:
            key = (record.info.merchant_id, depot, sku)
            stock[key] = stock.get(key, 0) + quantity
    return lines, dict(sorted(stock.items()))


def _conflicts(lines: Iterable[CodLine], returns: Iterable[ReturnLine]) -> list[OpenConflict]:
    found = [
        OpenConflict(line.doc_id, "shipment", line.info.merchant_id, c)
        for line in lines
        for c in line.state.open_conflicts
    ]
    found += [
        OpenConflict(r.doc_id, "return", r.record.info.merchant_id, c)
        for r in returns
        for c in r.state.conflicts
        if not c.resolved
    ]
    return found


def reconcile(
    shipments: Iterable[ShipmentRecord],
    books: Sequence[CashBookRecord],
    returns: Iterable[ReturnRecord],
    *,
    terms: dict[str, FeeTerms],
    limits: dict[str, int],
    period: Period,
    today: str,
) -> Reconciliation:
    """Reconcile every document; ``today`` (``YYYY-MM-DD``) decides what is overdue."""
    lines = {record.doc_id: cod_line(record) for record in shipments}
    return reconcile_lines(
        lines, books, returns, terms=terms, limits=limits, period=period, today=today
    )


def reconcile_lines(
    lines: dict[str, CodLine],
    books: Sequence[CashBookRecord],
    returns: Iterable[ReturnRecord],
    *,
    terms: dict[str, FeeTerms],
    limits: dict[str, int],
    period: Period,
    today: str,
) -> Reconciliation:
    """:func:`reconcile` from shipments already folded by :func:`~protocol.ledger.cod_line`.

    ``lines`` must be fresh (not linked to cash books yet): the cash-book
    facts are written into them, and they become the result's ``lines``.
    """
    links: Links = link_books(lines, books)
    release_handed_back(lines.values())
    deposited = depot_deposits(books)
    attribute_deposits(lines.values(), links.handovers, deposited)
    return_lines, stock = _returns(returns)
    return Reconciliation(
        lines=lines,
        handovers=links.handovers,
        couriers=_couriers(books, limits, today),
        depots=_depots(links.handovers, deposited),
        statements=statements(lines.values(), terms, period),
        remittances=_remittances(books),
        discrepancies=discrepancies(lines.values(), links, books),
        conflicts=_conflicts(lines.values(), return_lines),
        returns=return_lines,
        stock=stock,
        journal=journal(lines.values(), links, books, terms),
    )
