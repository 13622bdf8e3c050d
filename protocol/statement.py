"""Merchant COD statements: what each merchant is owed for a period.

A statement line is one COD shipment of the merchant whose first collection
falls in the period (UTC days, both ends inclusive, empty = open). Per line:

* ``collected`` - everything collected on the shipment (cash and card);
* ``reversed`` - cash-book reversals of that collection;
* ``frozen`` - held back while the parcel returns to origin or is in dispute
  (an open conflict): ``collected - reversed`` of such a line, and it carries
  no fee until it thaws;
* ``fee`` - on lines not frozen: ``round_half_up(collected * percent_bp /
  10000) + fixed_minor``, computed on integer minor units, per line;
* ``payable = collected - fee - reversed - frozen`` (it may be negative when
  the fee exceeds what is left: the merchant owes it).

``collected`` is the collection that stands, once: a second collection of the
parcel is in suspense (then refunded), never the merchant's. Totals keep the
identity ``payable == delivered_cod - fees - reversals - frozen`` exactly. Only
what reached the bank (deposited cash, card) can be paid: the payable of a line
whose cash is still in a courier's hand or at a depot desk is ``in_transit``.
A line named by a remittance batch is paid; a new batch pays only the unpaid,
unfrozen, banked lines, so nothing is paid twice or ahead of the cash.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from .ledger import CodLine, day_of


@dataclass(frozen=True, slots=True)
class FeeTerms:
    """A merchant's COD fee: basis points of the collected amount plus a fixed fee."""

    percent_bp: int = 0
    fixed_minor: int = 0

    def fee(self, collected: int) -> int:
        """Fee on one line; half-up rounding of the percentage to whole minor units."""
        if collected <= 0:
            return 0
        return (collected * self.percent_bp + 5_000) // 10_000 + self.fixed_minor


@dataclass(frozen=True, slots=True)
class Period:
    """UTC days ``start..end`` inclusive (``YYYY-MM-DD``); an empty bound is open."""

    start: str = ""
    end: str = ""

    def __contains__(self, day: object) -> bool:
        if not isinstance(day, str) or not day:
            return False
        return (not self.start or day >= self.start) and (not self.end or day <= self.end)


@dataclass(frozen=True, slots=True)
class StatementLine:
    doc_id: str
    tracking_number: str
    day: str
    status: str
    collected: int
    fee: int
    reversed: int
    frozen: int
    payable: int
    remitted_batch: str
    in_transit: int = 0  # payable not yet at the bank
    where: str = ""  # courier, desk, bank or card

    @property
    def banked(self) -> bool:
        return self.where in ("bank", "card")


@dataclass(frozen=True, slots=True)
class Statement:
    """One merchant's statement in one currency for one period."""

    merchant_id: str
    currency: str
    period: Period
    terms: FeeTerms
    lines: tuple[StatementLine, ...]

    @property
    def delivered_cod(self) -> int:
        return sum(line.collected for line in self.lines)

    @property
    def fees(self) -> int:
        return sum(line.fee for line in self.lines)

    @property
    def reversals(self) -> int:
        return sum(line.reversed for line in self.lines)

    @property
    def frozen(self) -> int:
        return sum(line.frozen for line in self.lines)

    @property
    def payable(self) -> int:
        return sum(line.payable for line in self.lines)

    @property
    def in_transit(self) -> int:
        """Payable whose cash is still in a courier's hand or at a depot desk."""
        return sum(line.in_transit for line in self.lines)

    @property
    def remitted(self) -> int:
        """What earlier batches already paid for lines of this statement."""
        return sum(line.payable for line in self.lines if line.remitted_batch)

    @property
    def unpaid(self) -> tuple[StatementLine, ...]:
        """Lines a new remittance batch would pay: banked, not frozen, not yet remitted."""
        return tuple(
            line
            for line in self.lines
            if not line.remitted_batch and not line.frozen and line.banked
        )

    @property
    def payable_now(self) -> int:
        return sum(line.payable for line in self.unpaid)

    @property
    def final(self) -> bool:
        """Every line is either paid by a batch or frozen: nothing left to remit."""
        return bool(self.lines) and not any(
            not line.remitted_batch and not line.frozen for line in self.lines
        )


def statement_line(line: CodLine, terms: FeeTerms) -> StatementLine:
    """One shipment's contribution to its merchant's statement."""
    frozen = line.collected - line.reversed if line.frozen else 0
    fee = 0 if line.frozen else terms.fee(line.collected)
    payable = line.collected - fee - line.reversed - frozen
    where = where_is(line)
    return StatementLine(
        doc_id=line.doc_id,
        tracking_number=line.info.tracking_number,
        day=day_of(line.collected_at),
        status=line.state.status.value,
        collected=line.collected,
        fee=fee,
        reversed=line.reversed,
        frozen=frozen,
        payable=payable,
        remitted_batch=line.remitted_batch,
        in_transit=0 if where in ("bank", "card") else payable,
        where=where,
    )


def where_is(line: CodLine) -> str:
    """Where the standing collection's cash is: courier, desk, bank or card."""
    if line.method == "card":
        return "card"
    if line.deposited:
        return "bank"
    return "desk" if line.handover_id else "courier"


def statements(
    lines: Iterable[CodLine], terms: dict[str, FeeTerms], period: Period
) -> list[Statement]:
    """Every merchant's statement for ``period``, one per (merchant, currency)."""
    grouped: dict[tuple[str, str], list[StatementLine]] = {}
    for line in lines:
        if line.standing is None or day_of(line.collected_at) not in period:
            continue
        key = (line.info.merchant_id, line.info.currency)
        grouped.setdefault(key, []).append(
            statement_line(line, terms.get(line.info.merchant_id, FeeTerms()))
        )
    return [
        Statement(
            merchant_id=merchant,
            currency=currency,
            period=period,
            terms=terms.get(merchant, FeeTerms()),
            lines=tuple(sorted(rows, key=lambda r: (r.day, r.tracking_number))),
        )
        for (merchant, currency), rows in sorted(grouped.items())
    ]
