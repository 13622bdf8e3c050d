"""The depot's desk pages: staff sign-in, inbound scan stream, returns desk, cash desk, handhelds.

Like the courier's pages, every handler calls the command function the CLI
calls (:mod:`edge.commands`), as the signed-in staff member
(:meth:`EdgeContext.acting_as`: each event records who did it), and renders
a refusal next to its field, having written nothing.
"""

from __future__ import annotations

from typing import Annotated, Any

import msgspec
from litestar import Controller, Request, get, post
from litestar.di import NamedDependency
from litestar.params import FromPath, FromQuery, URLEncodedBody
from litestar.response import Redirect, Template

from protocol.events import ItemInspection
from protocol.vocab import Disposition, Grade

from .. import commands as c
from ..docs import return_by_id
from ..errors import EdgeError, InvalidInput, NotFound, OutOfScope
from .forms import QUANTITY_REFUSAL, STOP_REFUSAL, status_code_of, whole_number
from .pin import verify_pin
from .session import sign_out, staff_key, staff_sign_in, staff_signed_in
from .site import Site, notify, page
from .trail import Deed, history, record

SiteDep = NamedDependency[Site]
Short = Annotated[str, msgspec.Meta(max_length=200)]
RECENT_SCANS = "scans"
MAX_ITEMS = 50


class StaffForm(msgspec.Struct):
    staff: Short = ""
    pin: Short = ""


class ScanForm(msgspec.Struct):
    code: Short = ""


class AssignForm(msgspec.Struct):
    courier: Short = ""
    day: Short = ""
    seq: Short = ""
    reason: Short = ""  # why (kept in the shipment's history)


class MoveForm(msgspec.Struct):
    sku: Short = ""
    quantity: Short = "1"


async def _plan(site: Site) -> list[tuple[c.PlanRow, list[Deed]]]:
    """The parcels to plan, each with its route assignments as lines, newest first."""
    now, device = site.ctx.wall(), site.ctx.identity.device_id
    return [
        (row, [record("reassigned", a, h, device, now) for a, h in reversed(row.assignments)])
        for row in await c.to_plan(site.ctx)
    ]


def _remember_scan(request: Request[Any, Any, Any], entry: list[str]) -> None:
    session = dict(request.session or {})
    session[RECENT_SCANS] = [entry, *session.get(RECENT_SCANS, [])][:12]
    request.set_session(session)


def _grades(form: dict[str, str], count: int) -> list[ItemInspection]:
    """``grade_N``, ``disposition_N``, ``quantity_N``, ``sku_N`` per item into inspections."""
    items = []
    for n in range(min(count, MAX_ITEMS)):
        grade, disposition = form.get(f"grade_{n}", ""), form.get(f"disposition_{n}", "")
        quantity = form.get(f"quantity_{n}", "1").strip()
        if grade not in set(Grade) or disposition not in set(Disposition):
            raise InvalidInput(f"item {n + 1}: choose a grade and what happens to it")
        if not quantity.isdigit():
            raise InvalidInput(f"item {n + 1}: the quantity must be a whole number")
        sku = form.get(f"sku_{n}", "")[:100]
        items.append(ItemInspection(sku, Grade(grade), Disposition(disposition), int(quantity)))
    return items


async def return_page(
    site: Site,
    request: Request[Any, Any, Any],
    staff: str,
    doc_id: str,
    status_code: int = 200,
    **extra: Any,
) -> Template:
    """One return of this depot: its grades, its stock per state, the forms; 404 if not ours."""
    try:
        view = await return_by_id(site.ctx.store, doc_id)
    except NotFound:
        view = None
    if view is None or view.info.depot_id != site.ctx.identity.depot_id:
        return await page(site, request, "desk_gone.html", 404, person=staff)
    depot = site.ctx.identity.depot_id
    context = {
        "view": view,
        "grades": list(Grade),
        "dispositions": list(Disposition),
        "stock": {sku: q for d, sku, q in view.state.stock if d == depot},
        "levels": [(sku, state, q) for d, sku, state, q in view.state.levels if d == depot and q],
        "graded_left": [(sku, target, q) for sku, target, q in view.state.graded_left if q],
        "trail": history(view.events, site.ctx.identity.device_id, site.ctx.wall()),
    }
    return await page(
        site, request, "desk_return.html", status_code, person=staff, **context, **extra
    )


class DepotPages(Controller):
    include_in_schema = False

    @get("/login")
    async def login_form(self, site: SiteDep, request: Request[Any, Any, Any]) -> Template:
        """Staff id and PIN."""
        return await page(site, request, "desk_login.html")

    @post("/login", status_code=303)
    async def login(
        self, site: SiteDep, request: Request[Any, Any, Any], data: URLEncodedBody[StaffForm]
    ) -> Redirect | Template:
        """Check the staff member's PIN and start the session."""
        staff = data.staff.strip()
        try:
            ok = bool(staff) and await verify_pin(
                site.ctx.store, staff_key(staff), data.pin, site.ctx.wall()
            )
            if not ok:
                raise InvalidInput("unknown staff id or wrong PIN")
        except InvalidInput as exc:
            errors = {"pin": str(exc)}
            form = {"staff": staff}
            return await page(site, request, "desk_login.html", 401, errors=errors, form=form)
        staff_sign_in(request, site.ctx, staff)
        return Redirect("/", status_code=303)

    @post("/logout", status_code=303)
    async def logout(self, request: Request[Any, Any, Any]) -> Redirect:
        """End the session."""
        return sign_out(request)

    @get("/")
    async def inbound(self, site: SiteDep, request: Request[Any, Any, Any]) -> Template:
        """The inbound scan stream: one field, each scan answered in colour and words."""
        staff = await staff_signed_in(request, site.ctx)
        scans = (request.session or {}).get(RECENT_SCANS, [])
        return await page(site, request, "desk_inbound.html", person=staff, scans=scans)

    @post("/scan", status_code=303)
    async def scan(
        self, site: SiteDep, request: Request[Any, Any, Any], data: URLEncodedBody[ScanForm]
    ) -> Redirect:
        """Receive one scanned parcel at the depot."""
        staff = await staff_signed_in(request, site.ctx)
        try:
            done = await c.receive(site.ctx.acting_as(staff), data.code)
            entry = ["ok", done.tracking_number, done.message]
        except EdgeError as exc:
            entry = ["refused", data.code.strip()[:40], str(exc)]
        _remember_scan(request, entry)
        return Redirect("/", status_code=303)

    @get("/returns")
    async def returns(self, site: SiteDep, request: Request[Any, Any, Any]) -> Template:
        """The depot's returns and its stock."""
        staff = await staff_signed_in(request, site.ctx)
        rows = await c.returns_here(site.ctx)
        stock = await c.stock_levels(site.ctx)
        return await page(site, request, "desk_returns.html", person=staff, rows=rows, stock=stock)

    async def _return(
        self,
        site: Site,
        request: Request[Any, Any, Any],
        staff: str,
        doc_id: str,
        status_code: int = 200,
        **extra: Any,
    ) -> Template:
        return await return_page(site, request, staff, doc_id, status_code, **extra)

    @get("/returns/{doc_id:str}")
    async def one_return(
        self, site: SiteDep, request: Request[Any, Any, Any], doc_id: FromPath[str]
    ) -> Template:
        """One return: receive it, grade each item, restock what may go back on the shelf."""
        staff = await staff_signed_in(request, site.ctx)
        return await self._return(site, request, staff, doc_id)

    @post("/returns/{doc_id:str}/receive", status_code=303)
    async def receive_return(
        self, site: SiteDep, request: Request[Any, Any, Any], doc_id: FromPath[str]
    ) -> Redirect | Template:
        staff = await staff_signed_in(request, site.ctx)
        try:
            done = await c.receive_return(site.ctx.acting_as(staff), doc_id)
        except (EdgeError, OutOfScope) as exc:
            errors = {"receive": str(exc)}
            return await self._return(
                site, request, staff, doc_id, status_code_of(exc), errors=errors
            )
        notify(request, done.message)
        return Redirect(f"/returns/{doc_id}", status_code=303)

    @post("/returns/{doc_id:str}/inspect", status_code=303)
    async def inspect(
        self, site: SiteDep, request: Request[Any, Any, Any], doc_id: FromPath[str]
    ) -> Redirect | Template:
        """Grade every item of the return (one row of the form per item)."""
        staff = await staff_signed_in(request, site.ctx)
        form = {k: str(v) for k, v in (await request.form()).items()}
        try:
            count = len((await return_by_id(site.ctx.store, doc_id)).info.items)
            done = await c.inspect(site.ctx.acting_as(staff), doc_id, _grades(form, count))
        except EdgeError as exc:
            errors = {"inspect": str(exc)}
            return await self._return(
                site, request, staff, doc_id, status_code_of(exc), errors=errors, form=form
            )
        notify(request, done.message)
        return Redirect(f"/returns/{doc_id}", status_code=303)

    @post("/returns/{doc_id:str}/restock", status_code=303)
    async def restock(
        self,
        site: SiteDep,
        request: Request[Any, Any, Any],
        doc_id: FromPath[str],
        data: URLEncodedBody[MoveForm],
    ) -> Redirect | Template:
        """Put graded-for-restock units back in stock."""
        staff = await staff_signed_in(request, site.ctx)
        try:
            quantity = whole_number(data.quantity, QUANTITY_REFUSAL)
            ctx = site.ctx.acting_as(staff)
            done = await c.restock(ctx, doc_id, data.sku, quantity)
        except EdgeError as exc:
            errors = {f"restock_{data.sku}": str(exc)}
            return await self._return(
                site, request, staff, doc_id, status_code_of(exc), errors=errors
            )
        notify(request, f"restocked: {done.message}")
        return Redirect(f"/returns/{doc_id}", status_code=303)

    @get("/routes")
    async def routes(
        self, site: SiteDep, request: Request[Any, Any, Any], day: FromQuery[str] = ""
    ) -> Template:
        """Route planning: every parcel still to deliver, its courier, day and stop."""
        staff = await staff_signed_in(request, site.ctx)
        return await page(
            site,
            request,
            "desk_routes.html",
            person=staff,
            rows=await _plan(site),
            day=day[:10] or site.ctx.today(),
        )

    @post("/routes/{doc_id:str}", status_code=303)
    async def assign(
        self,
        site: SiteDep,
        request: Request[Any, Any, Any],
        doc_id: FromPath[str],
        data: URLEncodedBody[AssignForm],
    ) -> Redirect | Template:
        """Assign or reassign one parcel: courier, day, stop number."""
        staff = await staff_signed_in(request, site.ctx)
        try:
            seq = whole_number(data.seq, STOP_REFUSAL)
            ctx = site.ctx.acting_as(staff)
            done = await c.assign(
                ctx, doc_id, data.courier.strip(), data.day.strip(), seq, data.reason
            )
        except EdgeError as exc:
            return await page(
                site,
                request,
                "desk_routes.html",
                status_code_of(exc),
                person=staff,
                rows=await _plan(site),
                day=data.day or site.ctx.today(),
                errors={f"assign_{doc_id}": str(exc)},
            )
        notify(request, f"{done.tracking_number}: {done.message}")
        return Redirect(f"/routes?day={data.day.strip()}", status_code=303)

    @get("/sync")
    async def sync_fragment(self, site: SiteDep, request: Request[Any, Any, Any]) -> Template:
        await staff_signed_in(request, site.ctx)
        return await page(site, request, "_sync.html")
