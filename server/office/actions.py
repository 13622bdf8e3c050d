"""What head office writes: fee terms, cash limits, remittance batches, resolutions.

Settings go to the server's own tables. Remittances and conflict resolutions
are events written into CRDT documents through
:func:`sync.ingest.commit_commands` (the path the merchant API uses), so
they sync to every replica like any other fact: a ``remitted`` entry in the
merchant's office cash book of the day, a ``conflict_resolved`` event in the
conflicting document.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable

import msgspec
from litestar.exceptions import ClientException, NotFoundException

from protocol.commands import DocCommand
from protocol.events import (
    BatchPayload,
    CashLimitSet,
    CashRemitted,
    CashReversal,
    ConflictResolved,
    LimitPayload,
    ReversalPayload,
)
from protocol.hlc import HybridClock
from protocol.ids import courier_book_id, named_id, new_id
from protocol.info import CashBookInfo
from protocol.ledger import day_of
from protocol.money import Money
from protocol.reversals import reversible
from protocol.statement import Period, Statement
from sync.ingest import commit_commands

from ..store import CentralStore
from .schemas import (
    CashLimitIn,
    RemittanceIn,
    RemittanceOut,
    ResolveIn,
    ResolveOut,
    ReversalIn,
    ReversalOut,
    TermsIn,
)
from .service import OfficeService
from .store import save_cash_limit, save_terms
from .words import plain

Notify = Callable[[int], Awaitable[None]]


def money_text(amount: int, currency: str) -> str:
    """``EUR 12.50`` for the audit log."""
    return Money(amount, currency).format()


class OfficeActions:
    """Head office's writes; one at a time, so a batch never pays a line twice."""

    def __init__(
        self,
        store: CentralStore,
        office: OfficeService,
        clock: HybridClock,
        notify: Notify,
        device_id: str,
    ):
        self.store, self.office, self.clock = store, office, clock
        self.notify, self.device_id = notify, device_id
        self._lock = asyncio.Lock()

    async def audit(
        self, actor: str, action: str, subject: str, detail: str, reason: str = ""
    ) -> None:
        """Append an office action to the audit log (who, when, what, why)."""
        await self.store.append_audit(self._ms(), actor, action, subject, detail, reason)

    async def set_terms(self, merchant_id: str, terms: TermsIn, actor: str) -> str:
        """Set (or replace) a merchant's COD fee terms and its name if given; returns the name."""
        now, name = self._ms(), terms.name.strip() if terms.name is not None else None
        fee = (terms.fee_percent_bp, terms.fee_fixed_minor)
        name = await save_terms(self.store, merchant_id, fee, name, now, actor)
        detail = f"fee {terms.fee_percent_bp} bp + {terms.fee_fixed_minor} minor units per line"
        await self.audit(
            actor, "terms", f"merchant:{merchant_id}", detail + (f", name {name!r}" if name else "")
        )
        return name

    async def set_cash_limit(self, courier_id: str, limit: CashLimitIn, actor: str) -> str:
        """Set (or replace) the cash a courier may hold before handing over; a
        ``cash_limit`` entry in the courier's cash book of the day carries it to the
        handheld, which enforces it offline. Returns that book's id."""
        await save_cash_limit(self.store, courier_id, limit.cash_limit_minor, self._ms(), actor)
        depot = await self.store.courier_home_depot(courier_id)
        hlc = self.clock.now().encode()
        day = day_of(hlc)
        book_id = courier_book_id(courier_id, day)
        payload = LimitPayload(limit_minor=limit.cash_limit_minor, currency=limit.currency)
        event = CashLimitSet(
            id=new_id(), hlc=hlc, device=self.device_id, actor=actor, payload=payload
        )
        held = await self.store.load([book_id])
        info = None
        if book_id not in held:
            book = CashBookInfo("courier", courier_id, day, limit.currency, depot, courier_id)
            info = msgspec.to_builtins(book)
        await self._commit([(book_id, DocCommand.build("limit", "cashbook", [event], info=info))])
        amount = money_text(limit.cash_limit_minor, limit.currency)
        await self.audit(
            actor, "cash_limit", f"courier:{courier_id}", f"cash limit {amount}", limit.reason
        )
        return book_id

    def _ms(self) -> int:
        return self.office.clock_ms()

    async def remit(self, data: RemittanceIn, actor: str) -> list[RemittanceOut]:
        """Pay every unpaid, unfrozen line of the merchant's statement: one batch per currency."""
        period = Period(data.start.isoformat(), data.end.isoformat())
        async with self._lock:
            mine = [
                s for s in await self.office.statements(period) if s.merchant_id == data.merchant_id
            ]
            batches = [self._batch(s, actor) for s in mine if s.unpaid]
            if not batches:
                raise ClientException(
                    f"nothing to remit to merchant {data.merchant_id!r} for {period.start}.."
                    f"{period.end}: every line is already paid or frozen",
                    status_code=409,
                )
            negative = [b for b, _ in batches if b.amount < 0]
            if negative:
                raise ClientException(
                    f"fees exceed the collected COD ({negative[0].currency} "
                    f"{negative[0].amount} minor units): invoice the merchant instead",
                    status_code=409,
                )
            await self._commit([(b.book_id, command) for b, command in batches])
        for b, _ in batches:
            detail = (
                f"remitted {money_text(b.amount, b.currency)} for {len(b.shipment_ids)} "
                f"shipments ({period.start}..{period.end}), batch {b.batch_id}"
            )
            await self.audit(
                actor, "remittance", f"merchant:{data.merchant_id}", detail, data.reason
            )
        return [b for b, _ in batches]

    def _batch(self, statement: Statement, actor: str) -> tuple[RemittanceOut, DocCommand]:
        lines = statement.unpaid
        hlc = self.clock.now().encode()
        day, currency = day_of(hlc), statement.currency
        book_id = named_id("cashbook", "office", statement.merchant_id, day, currency)
        out = RemittanceOut(
            batch_id=new_id(),
            book_id=book_id,
            merchant_id=statement.merchant_id,
            currency=currency,
            amount=sum(line.payable for line in lines),
            shipment_ids=[line.doc_id for line in lines],
        )
        payload = BatchPayload(
            amount=out.amount,
            currency=currency,
            batch_id=out.batch_id,
            merchant_id=out.merchant_id,
            shipment_ids=out.shipment_ids,
        )
        event = CashRemitted(
            id=new_id(), hlc=hlc, device=self.device_id, actor=actor, payload=payload
        )
        info = CashBookInfo(
            owner_kind="office",
            owner_id="office",
            day=day,
            currency=currency,
            merchant_id=statement.merchant_id,
        )
        command = DocCommand.build("remit", "cashbook", [event], info=msgspec.to_builtins(info))
        return out, command

    async def resolve(
        self, doc_id: str, conflict_id: str, data: ResolveIn, actor: str
    ) -> ResolveOut:
        """Settle an open conflict with a ``conflict_resolved`` event in its document."""
        async with self._lock:
            recon, _ = await self.office.reconciliation()
            found = next(
                (c for c in recon.conflicts if c.doc_id == doc_id and c.conflict.id == conflict_id),
                None,
            )
            if found is None:
                raise NotFoundException(
                    f"no open conflict {conflict_id!r} on document {doc_id!r} "
                    "(unknown, or already resolved)"
                )
            if data.status is not None and found.doc_type != "shipment":
                raise ClientException("status: only a shipment conflict can set a status")
            if data.keep and data.keep not in found.conflict.event_ids:
                raise ClientException(
                    f"keep: {data.keep!r} is not one of the conflict's events "
                    f"({', '.join(found.conflict.event_ids)})"
                )
            body = ConflictResolved.Body(
                conflict_id=conflict_id, status=data.status, note=data.note, keep=data.keep
            )
            event = ConflictResolved(
                id=new_id(),
                hlc=self.clock.now().encode(),
                device=self.device_id,
                actor=actor,
                payload=body,
            )
            await self._commit([(doc_id, DocCommand.build("resolve", found.doc_type, [event]))])
        detail = f"{plain('kind', found.conflict.kind.value)} decided" + (
            f": kept event {data.keep}" if data.keep else ""
        )
        if data.status is not None:
            detail += f", status set to {data.status.value}"
        subject = f"{found.doc_type}:{doc_id}"
        await self.audit(actor, "conflict_resolution", subject, detail, data.note)
        return ResolveOut(doc_id, conflict_id, event.id)

    async def reverse(self, data: ReversalIn, actor: str) -> ReversalOut:
        """Record a reversing entry (or a count adjustment) in head office's cash book
        of the day; 404 for an unknown entry, 409 above what it can reverse."""
        async with self._lock:
            recon, _ = await self.office.reconciliation()
            currency, most = reversible(recon, data.entry_id)
            if currency is None:
                raise NotFoundException(
                    f"entry_id: no collection, cash book entry or handover {data.entry_id!r}"
                )
            if data.amount > most:
                raise ClientException(
                    f"amount: {data.amount} is more than the {most} minor units "
                    f"{data.entry_id!r} can still reverse",
                    status_code=409,
                )
            if data.discrepancy and data.discrepancy not in {d.id for d in recon.discrepancies}:
                raise NotFoundException(f"discrepancy: no open discrepancy {data.discrepancy!r}")
            hlc = self.clock.now().encode()
            day = day_of(hlc)
            book_id = named_id("cashbook", "office", "reversals", day, currency)
            payload = ReversalPayload(
                amount=data.amount,
                currency=currency,
                entry_id=data.entry_id,
                reason=data.reason,
                discrepancy=data.discrepancy,
            )
            event = CashReversal(
                id=new_id(), hlc=hlc, device=self.device_id, actor=actor, payload=payload
            )
            info = CashBookInfo(owner_kind="office", owner_id="office", day=day, currency=currency)
            command = DocCommand.build(
                "reverse", "cashbook", [event], info=msgspec.to_builtins(info)
            )
            await self._commit([(book_id, command)])
        what = "count adjustment" if data.discrepancy else "reversal"
        detail = f"{what} of {money_text(data.amount, currency)} on entry {data.entry_id}"
        if data.discrepancy:
            detail += f", answers {data.discrepancy}"
        await self.audit(actor, "reversal", f"entry:{data.entry_id}", detail, data.reason)
        return ReversalOut(
            event.id, book_id, data.entry_id, data.amount, currency, data.discrepancy
        )

    async def _commit(self, commands: list[tuple[str, DocCommand]]) -> None:
        await commit_commands(self.store, commands, device_id=self.device_id, queue=False)
        await self.notify(await self.store.head())
