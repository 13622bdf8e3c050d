"""The depot's reverse pickups and stock states: plan pickups on the couriers' routes and
move a return's units between states (quarantine, release, dispose, send back signed).

``/pickups`` lists the returns still to pick up with a courier, day and stop
form each (:func:`edge.commands.assign_return`); ``POST /returns/{id}/move``
moves units (:func:`edge.commands.move_stock`), a sending back to the merchant
with who received them and their signature drawn on the screen.
"""

from __future__ import annotations

from typing import Annotated, Any

import anyio
import msgspec
from litestar import Controller, Request, get, post
from litestar.di import NamedDependency
from litestar.params import FromPath, URLEncodedBody
from litestar.response import Redirect, Template

from .. import commands as c
from ..errors import EdgeError
from ..proofs import save_proof, signature_bytes
from .courier import _forget
from .depot import AssignForm, return_page
from .forms import QUANTITY_REFUSAL, STOP_REFUSAL, status_code_of, whole_number
from .session import staff_signed_in
from .site import Site, notify, page

SiteDep = NamedDependency[Site]
Short = Annotated[str, msgspec.Meta(max_length=200)]


class StockForm(msgspec.Struct):
    sku: Short = ""
    source: Short = ""
    target: Short = ""
    quantity: Short = "1"
    received_by: Short = ""
    signature: Annotated[str, msgspec.Meta(max_length=1_500_000)] = ""


class DepotReturnPages(Controller):
    include_in_schema = False

    async def _pickups(
        self,
        site: Site,
        request: Request[Any, Any, Any],
        staff: str,
        status: int = 200,
        **extra: Any,
    ) -> Template:
        rows = await c.pickups_to_plan(site.ctx)
        return await page(
            site,
            request,
            "desk_pickups.html",
            status,
            person=staff,
            rows=rows,
            day=site.ctx.today(),
            **extra,
        )

    @get("/pickups")
    async def pickups(self, site: SiteDep, request: Request[Any, Any, Any]) -> Template:
        """Returns still to pick up, each with the courier, day and stop it is planned for."""
        staff = await staff_signed_in(request, site.ctx)
        return await self._pickups(site, request, staff)

    @post("/pickups/{doc_id:str}", status_code=303)
    async def assign(
        self,
        site: SiteDep,
        request: Request[Any, Any, Any],
        doc_id: FromPath[str],
        data: URLEncodedBody[AssignForm],
    ) -> Redirect | Template:
        """Put one return on a courier's route: courier, day, stop number."""
        staff = await staff_signed_in(request, site.ctx)
        try:
            seq = whole_number(data.seq, STOP_REFUSAL)
            ctx = site.ctx.acting_as(staff)
            done = await c.assign_return(ctx, doc_id, data.courier, data.day, seq)
        except EdgeError as exc:
            errors = {f"assign_{doc_id}": str(exc)}
            return await self._pickups(site, request, staff, status_code_of(exc), errors=errors)
        notify(request, f"return {doc_id[:8]}: {done.message}")
        return Redirect("/pickups", status_code=303)

    @post("/returns/{doc_id:str}/move", status_code=303)
    async def move(
        self,
        site: SiteDep,
        request: Request[Any, Any, Any],
        doc_id: FromPath[str],
        data: URLEncodedBody[StockForm],
    ) -> Redirect | Template:
        """Move units of one SKU of the return between stock states."""
        staff = await staff_signed_in(request, site.ctx)
        signed = None
        try:
            quantity = whole_number(data.quantity, QUANTITY_REFUSAL)
            drawn = signature_bytes(data.signature)
            if drawn:
                signed = await anyio.to_thread.run_sync(save_proof, site.proofs, drawn, "signature")
            done = await c.move_stock(
                site.ctx.acting_as(staff),
                doc_id,
                data.sku,
                quantity,
                data.source,
                data.target,
                received_by=data.received_by,
                signature=signed,
            )
        except EdgeError as exc:
            await _forget(site, [signed] if signed else [])
            errors = {f"move_{data.target}": str(exc)}
            form = {"received_by": data.received_by}
            return await return_page(
                site, request, staff, doc_id, status_code_of(exc), errors=errors, form=form
            )
        notify(request, done.message)
        return Redirect(f"/returns/{doc_id}", status_code=303)
