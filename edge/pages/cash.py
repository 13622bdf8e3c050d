"""The courier's cash page: cash in hand per currency, the limit, the end-of-day handover."""

from __future__ import annotations

from typing import Any

from litestar import Controller, Request, get, post
from litestar.di import NamedDependency
from litestar.response import Redirect, Template

from .. import commands as c
from ..commands._common import money
from ..docs import books_where
from ..errors import EdgeError
from .forms import status_code_of
from .session import signed_in
from .site import Site, notify, page

SiteDep = NamedDependency[Site]


class CourierCash(Controller):
    include_in_schema = False

    @get("/cash")
    async def cash(self, site: SiteDep, request: Request[Any, Any, Any]) -> Template:
        """Cash in hand per currency, the limit, the handover button."""
        signed_in(request, site.ctx)
        return await page(site, request, "cash.html", **await _cash(site))

    @post("/cash/handover", status_code=303)
    async def handover(self, site: SiteDep, request: Request[Any, Any, Any]) -> Redirect | Template:
        """Hand over all cash in hand at the depot desk."""
        signed_in(request, site.ctx)
        try:
            done = await c.handover(site.ctx)
        except EdgeError as exc:
            return await page(
                site,
                request,
                "cash.html",
                status_code_of(exc),
                **await _cash(site),
                errors={"handover": str(exc)},
            )
        amounts = ", ".join(money(h.amount, h.currency) for h in done)
        notify(request, f"Handed over {amounts}: give the cash to the depot desk to count.")
        return Redirect("/cash", status_code=303)

    @get("/sync")
    async def sync_fragment(self, site: SiteDep, request: Request[Any, Any, Any]) -> Template:
        """The sync bar alone, for the page's script to refresh it."""
        signed_in(request, site.ctx)
        return await page(site, request, "_sync.html")


async def _cash(site: Site) -> dict[str, Any]:
    """The cash position (the limit's currency) and cash in hand in every currency."""
    position = await c.cash_position(site.ctx)
    books = await books_where(site.ctx.store, owner_kind="courier", owner_id=position.courier_id)
    in_hand: dict[str, int] = {position.currency: 0}
    for book in books:
        cash = book.state.in_hand
        in_hand[cash.currency] = in_hand.get(cash.currency, 0) + cash.amount
    return {"position": position, "in_hand": [money(a, cur) for cur, a in sorted(in_hand.items())]}
