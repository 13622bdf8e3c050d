"""The depot desk's change requests: what merchants asked for parcels already out
(a new address or slot), accepted or refused by the signed-in staff member through
the command the CLI calls (:func:`edge.commands.answer_change`)."""

from __future__ import annotations

from typing import Annotated, Any

import msgspec
from litestar import Controller, Request, get, post
from litestar.di import NamedDependency
from litestar.params import FromPath, URLEncodedBody
from litestar.response import Redirect, Template

from .. import commands as c
from ..errors import EdgeError
from .forms import status_code_of
from .session import staff_signed_in
from .site import Site, notify, page

SiteDep = NamedDependency[Site]


class AnswerForm(msgspec.Struct):
    answer: Annotated[str, msgspec.Meta(max_length=10)] = ""
    reason: Annotated[str, msgspec.Meta(max_length=200)] = ""


class DepotChangePages(Controller):
    include_in_schema = False

    @get("/changes")
    async def changes(self, site: SiteDep, request: Request[Any, Any, Any]) -> Template:
        """The change requests waiting for an answer."""
        staff = await staff_signed_in(request, site.ctx)
        rows = await c.pending_changes(site.ctx)
        return await page(site, request, "desk_changes.html", person=staff, rows=rows)

    @post("/changes/{doc_id:str}/{request_id:str}", status_code=303)
    async def answer(
        self,
        site: SiteDep,
        request: Request[Any, Any, Any],
        doc_id: FromPath[str],
        request_id: FromPath[str],
        data: URLEncodedBody[AnswerForm],
    ) -> Redirect | Template:
        """Accept or refuse one request (a refusal says why)."""
        staff = await staff_signed_in(request, site.ctx)
        try:
            ctx = site.ctx.acting_as(staff)
            accepted = data.answer == "accept"
            done = await c.answer_change(ctx, doc_id, request_id, accepted, data.reason)
        except EdgeError as exc:
            rows = await c.pending_changes(site.ctx)
            mine = any(r.request_id == request_id for r in rows)
            errors = {f"answer_{request_id}" if mine else "changes": str(exc)}
            return await page(
                site,
                request,
                "desk_changes.html",
                status_code_of(exc),
                person=staff,
                rows=rows,
                errors=errors,
            )
        notify(request, f"{done.tracking_number}: {done.message}")
        return Redirect("/changes", status_code=303)
