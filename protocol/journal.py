"""The COD journal: double entry, derived by a pure fold from the synced events.

Every movement of money is a :class:`Transfer` of a positive amount in one
currency from a ``debit`` account to a ``credit`` account (as TigerBeetle and
accounting journals keep them: immutable, corrections by reversing entries,
balances that are sums). An account's balance is what it received less what it
gave, so per currency all balances sum to zero; the ``recipient:`` accounts
are negative by what recipients paid, and every minor unit collected sits in
exactly one other account.

Accounts (``<kind>:<key>``):

* ``recipient:<shipment>`` - who paid at the door (and gets refunds back);
* ``courier:<courier>`` - cash in a courier's hand;
* ``desk:<depot>`` - cash handed over at a depot's cash desk;
* ``bank:<depot>`` - cash the depot deposited, not yet owed to anyone;
* ``card`` - card payments, settled;
* ``payable:<merchant>`` / ``paid:<merchant>`` - owed to a merchant / remitted;
* ``fees`` - the COD fees;
* ``suspense:<shipment>`` - a collection whose owner is not decided (a second
  collection of a parcel), until it is refunded;
* ``suspense:count:<handover>`` - the difference of a desk count, until adjusted;
* ``suspense:entry:<entry>`` - cash a courier's book holds with no collection.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from .cash_links import Links, Reversal
from .events import CashDeposited, CashHandedOver, CashRemitted
from .ledger import CashBookRecord, CodLine, Taken
from .statement import FeeTerms, where_is


@dataclass(frozen=True, slots=True)
class Transfer:
    """``amount`` (> 0, minor units of ``currency``) moved from ``debit`` to ``credit``."""

    id: str
    debit: str
    credit: str
    amount: int
    currency: str
    kind: str
    event_id: str


@dataclass(frozen=True, slots=True)
class Journal:
    transfers: tuple[Transfer, ...]

    def balances(self) -> dict[tuple[str, str], int]:
        """Balance per ``(account, currency)``: received less given, zeros left out."""
        sums: dict[tuple[str, str], int] = {}
        for t in self.transfers:
            sums[(t.credit, t.currency)] = sums.get((t.credit, t.currency), 0) + t.amount
            sums[(t.debit, t.currency)] = sums.get((t.debit, t.currency), 0) - t.amount
        return {key: value for key, value in sorted(sums.items()) if value}

    def by_currency(self) -> dict[str, dict[str, int]]:
        """``{currency: {account: balance}}``, for reports; never summed across currencies."""
        out: dict[str, dict[str, int]] = {}
        for (account, currency), value in self.balances().items():
            out.setdefault(currency, {})[account] = value
        return out


class _Poster:
    def __init__(self) -> None:
        self.transfers: list[Transfer] = []

    def move(
        self, debit: str, credit: str, amount: int, currency: str, kind: str, event_id: str
    ) -> None:
        """Post ``amount`` from ``debit`` to ``credit``; a negative one the other way."""
        if amount < 0:
            debit, credit, amount = credit, debit, -amount
        if amount:
            tid = f"{kind}:{event_id}:{len(self.transfers)}"
            self.transfers.append(Transfer(tid, debit, credit, amount, currency, kind, event_id))


def _holder(line: CodLine, taken: Taken) -> str:
    if taken.method == "card":
        return "card"
    return f"courier:{line.cash_courier or taken.actor}"


def _collections(post: _Poster, line: CodLine) -> None:
    sid = line.doc_id
    for t in (line.standing, *line.extras, *line.foreign):
        if t is not None:
            post.move(
                f"recipient:{sid}", _holder(line, t), t.amount, t.currency, "collect", t.event_id
            )


def _banking(post: _Poster, line: CodLine, terms: FeeTerms) -> None:
    """Banked money becomes the merchant's (less the fee); extras go to suspense."""
    cur, sid = line.info.currency, line.doc_id
    bank = f"bank:{line.handover_depot}"
    for t in line.extras:
        if t.method == "card" or line.deposited:
            source = "card" if t.method == "card" else bank
            post.move(source, f"suspense:{sid}", t.amount, cur, "suspense", t.event_id)
    if line.standing is None or not line.banked or line.frozen:
        return
    source = "card" if line.method == "card" else bank
    fee = terms.fee(line.collected)
    event = line.standing.event_id
    post.move(source, "fees", fee, cur, "fee", event)
    net = line.collected - line.reversed - fee
    post.move(source, f"payable:{line.info.merchant_id}", net, cur, "payable", event)


def _reversal(post: _Poster, r: Reversal, books_owner: dict[str, str]) -> None:
    p, event = r.event.payload, r.event
    if r.handover is not None:  # a count adjustment: the courier keeps or is owed the gap
        h = r.handover
        sign = -1 if h.discrepancy < 0 else 1
        post.move(
            f"courier:{h.courier_id}",
            f"suspense:count:{h.handover_id}",
            sign * p.amount,
            p.currency,
            "adjust",
            event.id,
        )
        return
    assert r.line is not None
    line = r.line
    recipient = f"recipient:{line.doc_id}"
    if r.extra:
        holder = f"suspense:{line.doc_id}"
    elif r.book_kind == "courier":
        holder = f"courier:{books_owner.get(event.id) or line.cash_courier or line.collected_by}"
    else:
        holder = _where(line)
    post.move(holder, recipient, p.amount, p.currency, "reverse", event.id)


def _where(line: CodLine) -> str:
    where = where_is(line)
    if where == "card":
        return "card"
    if where in ("bank", "desk"):
        return f"{where}:{line.handover_depot}"
    return f"courier:{line.cash_courier or line.collected_by}"


def _books(post: _Poster, books: Sequence[CashBookRecord], links: Links) -> None:
    for book in books:
        depot = book.info.depot_id or book.info.owner_id
        for e in book.events:
            if isinstance(e, CashHandedOver) and book.info.owner_kind == "courier":
                h = e.payload
                courier = f"courier:{book.info.owner_id}"
                post.move(courier, f"desk:{h.depot_id}", h.amount, h.currency, "handover", e.id)
            elif isinstance(e, CashDeposited) and book.info.owner_kind == "depot":
                d = e.payload
                post.move(f"desk:{depot}", f"bank:{depot}", d.amount, d.currency, "deposit", e.id)
            elif isinstance(e, CashRemitted):
                r = e.payload
                merchant = r.merchant_id or book.info.merchant_id
                post.move(
                    f"payable:{merchant}", f"paid:{merchant}", r.amount, r.currency, "remit", e.id
                )
    for entry in links.handovers:
        if entry.counted is not None:
            gap, hid = f"suspense:count:{entry.handover_id}", entry.handover_id
            post.move(
                f"desk:{entry.depot_id}", gap, -entry.discrepancy, entry.currency, "count", hid
            )
    for o in links.orphans:
        c = o.entry.payload
        post.move(
            f"suspense:entry:{o.entry.id}",
            f"courier:{o.courier_id}",
            c.amount,
            c.currency,
            "orphan",
            o.entry.id,
        )


def journal(
    lines: Iterable[CodLine],
    links: Links,
    books: Sequence[CashBookRecord],
    terms: dict[str, FeeTerms],
) -> Journal:
    """Every transfer the synced events imply, in a stable order."""
    post = _Poster()
    listed = sorted(lines, key=lambda line: line.doc_id)
    for line in listed:
        _collections(post, line)
        _banking(post, line, terms.get(line.info.merchant_id, FeeTerms()))
        if line.released:
            recipient, cur = f"recipient:{line.doc_id}", line.info.currency
            post.move(_where(line), recipient, line.released, cur, "release", line.release_event_id)
    _books(post, books, links)
    owners = {
        e.id: b.info.owner_id for b in books if b.info.owner_kind == "courier" for e in b.events
    }
    for r in links.reversals:
        _reversal(post, r, owners)
    return Journal(tuple(post.transfers))
