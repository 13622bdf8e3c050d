"""The depot's cash desk: the couriers' declared handovers, the count, the discrepancy,
and the deposit batches that take the counted cash to the bank, each with who did it."""

from __future__ import annotations

from typing import Annotated, Any

import msgspec
from litestar import Controller, Request, get, post
from litestar.di import NamedDependency
from litestar.params import FromPath, URLEncodedBody
from litestar.response import Redirect, Template

from protocol.events import CashCounted

from .. import commands as c
from .._cli_support import amount_minor
from ..commands._common import money
from ..docs import books_where
from ..errors import EdgeError
from .forms import status_code_of
from .session import staff_signed_in
from .site import Site, notify, page
from .trail import Deed, deed, record

SiteDep = NamedDependency[Site]
Short = Annotated[str, msgspec.Meta(max_length=200)]


class CountForm(msgspec.Struct):
    amount: Short = ""
    currency: Short = "EUR"


class DepositForm(msgspec.Struct):
    amount: Short = ""
    batch: Short = ""


async def _desk(site: Site) -> dict[str, Any]:
    """Every courier handover at this depot (those still to count first, each count with
    who made it), the cash counted and not deposited, and the deposit batches."""
    ctx = site.ctx
    now, device = ctx.wall(), ctx.identity.device_id
    books = await books_where(ctx.store, depot_id=ctx.identity.depot_id, owner_kind="courier")
    counted_by: dict[str, Deed] = {
        e.payload.handover_id: deed(e, device, now)
        for b in books
        for e in b.events
        if isinstance(e, CashCounted)
    }
    rows: list[dict[str, Any]] = [
        {
            "courier": b.info.owner_id,
            "day": b.info.day,
            "count": h,
            "by": counted_by.get(h.handover_id),
        }
        for b in books
        for h in b.state.handovers
    ]
    rows.sort(key=lambda r: (r["count"].counted is not None, r["day"], r["courier"]))
    undeposited = await c.undeposited(ctx)
    currency = ctx.identity.currency
    batches = [
        {
            "batch": d.batch_id,
            "day": d.day,
            "amount": money(d.amount, d.currency),
            "by": record("deposited", d.actor, d.hlc, device, now),
        }
        for d in await c.deposits(ctx)
    ]
    return {
        "rows": rows,
        "undeposited": money(undeposited, currency),
        "undeposited_decimal": money(max(undeposited, 0), currency).removeprefix(f"{currency} "),
        "currency": currency,
        "batches": batches,
    }


class DepotCash(Controller):
    include_in_schema = False

    async def _page(
        self,
        site: Site,
        request: Request[Any, Any, Any],
        staff: str,
        status_code: int = 200,
        **extra: Any,
    ) -> Template:
        context = {**await _desk(site), **extra}
        return await page(site, request, "desk_cash.html", status_code, person=staff, **context)

    @get("/cash")
    async def cash_desk(self, site: SiteDep, request: Request[Any, Any, Any]) -> Template:
        """The couriers' declared handovers, the counts, the discrepancies, the deposits."""
        staff = await staff_signed_in(request, site.ctx)
        return await self._page(site, request, staff)

    @post("/cash/{handover_id:str}/count", status_code=303)
    async def count(
        self,
        site: SiteDep,
        request: Request[Any, Any, Any],
        handover_id: FromPath[str],
        data: URLEncodedBody[CountForm],
    ) -> Redirect | Template:
        """Record what the desk counted for one handover."""
        staff = await staff_signed_in(request, site.ctx)
        try:
            ctx = site.ctx.acting_as(staff)
            done = await c.count_cash(ctx, handover_id, amount_minor(data.amount, data.currency))
        except EdgeError as exc:
            errors = {f"count_{handover_id}": str(exc)}
            return await self._page(site, request, staff, status_code_of(exc), errors=errors)
        text = f"counted {money(done.counted, done.currency)} from {done.courier_id}"
        if done.discrepancy:
            text += f": discrepancy {money(done.discrepancy, done.currency)}"
        notify(request, text)
        return Redirect("/cash", status_code=303)

    @post("/cash/deposit", status_code=303)
    async def deposit(
        self, site: SiteDep, request: Request[Any, Any, Any], data: URLEncodedBody[DepositForm]
    ) -> Redirect | Template:
        """Record a deposit batch: counted cash taken to the bank."""
        staff = await staff_signed_in(request, site.ctx)
        try:
            ctx = site.ctx.acting_as(staff)
            minor = amount_minor(data.amount, ctx.identity.currency)
            done = await c.deposit(ctx, minor, data.batch)
        except EdgeError as exc:
            field = "batch" if str(exc).startswith("batch") else "deposit"
            return await self._page(
                site,
                request,
                staff,
                status_code_of(exc),
                errors={field: str(exc)},
                form=msgspec.structs.asdict(data),
            )
        left = money(done.remaining, done.currency)
        amount = money(done.amount, done.currency)
        notify(request, f"deposit {done.batch_id}: {amount} to the bank, {left} left to deposit")
        return Redirect("/cash", status_code=303)
