"""The courier's route and stops: search, scan, out for delivery, collect, deliver, fail.

Every handler is thin: it calls the command function the CLI calls
(:mod:`edge.commands`), and on a refusal renders the same page again with
the message next to the field it is about (status 400 or 409); a refusal
writes nothing, because the command wrote nothing.
"""

from __future__ import annotations

from typing import Annotated, Any

import anyio
import msgspec
from litestar import Controller, Request, get, post
from litestar.datastructures import UploadFile
from litestar.di import NamedDependency
from litestar.params import FromPath, FromQuery, MultipartBody, URLEncodedBody
from litestar.response import Redirect, Template

from protocol.delivery import effective_info, instructions
from protocol.info import ShipmentInfo
from protocol.vocab import DocType

from .. import commands as c
from .._cli_support import amount_minor
from ..docs import contents, shipment_by_id
from ..errors import (
    AmountMismatch,
    CashLimitReached,
    EdgeError,
    InvalidInput,
    NotFound,
    OtpRejected,
    OutOfScope,
)
from ..proofs import save_proof, signature_bytes
from .forms import DeliverForm, field_error, parse_point, status_code_of
from .pickup_rows import pickup_of, pickup_rows
from .session import signed_in
from .site import Site, notify, page
from .words import AFTER_FAILURE, REASON_LABEL, reason_groups, status_label

SiteDep = NamedDependency[Site]
Fields = dict[type[EdgeError], str]
Short = Annotated[str, msgspec.Meta(max_length=200)]


class CodeForm(msgspec.Struct):
    code: Short = ""


class CollectForm(msgspec.Struct):
    amount: Short = ""
    method: Short = "cash"
    reason: Short = ""


class FailForm(msgspec.Struct):
    reason: Short = ""
    note: Annotated[str, msgspec.Meta(max_length=500)] = ""


async def _route_rows(site: Site) -> list[dict[str, Any]]:
    stops = await c.load_route(site.ctx)
    docs = await contents(site.ctx.store, [s.doc_id for s in stops])
    rows = []
    for stop in stops:
        info: dict[str, Any] = {}
        said = ""
        if stop.doc_id in docs:
            content = docs[stop.doc_id][1]
            typed = content.typed_info(DocType.SHIPMENT)
            if isinstance(typed, ShipmentInfo):
                events = content.typed_events(DocType.SHIPMENT)
                info = msgspec.structs.asdict(effective_info(typed, events))
                said = instructions(events)
        address = " ".join(str(info.get(k) or "") for k in ("address", "postcode")).strip()
        label = status_label(stop.status)
        rows.append({"stop": stop, "address": address, "label": label, "instructions": said})
    return rows


class CourierPages(Controller):
    include_in_schema = False

    @get("/")
    async def route(
        self, site: SiteDep, request: Request[Any, Any, Any], q: FromQuery[str] = ""
    ) -> Template:
        """Today's stops in the planned order, filtered by ``q`` (name, street, number)."""
        signed_in(request, site.ctx)
        rows = await _route_rows(site)
        needle = q.strip().lower()[:100]
        if needle:
            rows = [
                r
                for r in rows
                if needle
                in " ".join(
                    (
                        r["stop"].tracking_number,
                        r["stop"].recipient_name,
                        r["stop"].city,
                        r["address"],
                    )
                ).lower()
            ]
        pickups = await pickup_rows(site)
        return await page(
            site, request, "route.html", rows=rows, q=q, day=site.ctx.today(), pickups=pickups
        )

    @post("/scan", status_code=303)
    async def scan(
        self,
        site: SiteDep,
        request: Request[Any, Any, Any],
        data: URLEncodedBody[CodeForm],
    ) -> Redirect | Template:
        """Open the stop of a scanned or typed code."""
        signed_in(request, site.ctx)
        try:
            view = await c.find(site.ctx, data.code)
        except (NotFound, OutOfScope, InvalidInput) as exc:
            pickup = await pickup_of(site, data.code)
            if pickup is not None:
                return Redirect(f"/pickups/{pickup}", status_code=303)
            rows = await _route_rows(site)
            return await page(
                site,
                request,
                "route.html",
                404,
                rows=rows,
                q="",
                day=site.ctx.today(),
                errors={"code": str(exc)},
                form={"code": data.code},
            )
        return Redirect(f"/stops/{view.doc_id}", status_code=303)

    async def _stop(
        self,
        site: Site,
        request: Request[Any, Any, Any],
        doc_id: str,
        status_code: int = 200,
        **extra: Any,
    ) -> Template:
        view = await shipment_by_id(site.ctx.store, doc_id)
        if view is None or view.info.courier_id != site.ctx.identity.courier_id:
            return await page(site, request, "gone.html", 404, doc_id=doc_id)
        return await page(
            site,
            request,
            "stop.html",
            status_code,
            view=view,
            label=status_label(view.state.status),
            groups=reason_groups(),
            after_failure=AFTER_FAILURE.get(view.state.status, ""),
            instructions=instructions(view.events),
            **extra,
        )

    @get("/stops/{doc_id:str}")
    async def stop(
        self, site: SiteDep, request: Request[Any, Any, Any], doc_id: FromPath[str]
    ) -> Template:
        """One stop: what is due, and the forms for the next step."""
        signed_in(request, site.ctx)
        return await self._stop(site, request, doc_id)

    async def _done(self, request: Request[Any, Any, Any], doc_id: str, text: str) -> Redirect:
        notify(request, text)
        return Redirect(f"/stops/{doc_id}", status_code=303)

    @post("/stops/{doc_id:str}/out", status_code=303)
    async def out(
        self, site: SiteDep, request: Request[Any, Any, Any], doc_id: FromPath[str]
    ) -> Redirect | Template:
        """Mark the parcel out for delivery."""
        signed_in(request, site.ctx)
        try:
            done = await c.out_for_delivery(site.ctx, doc_id)
        except EdgeError as exc:
            return await self._stop(
                site, request, doc_id, status_code_of(exc), errors={"out": str(exc)}
            )
        return await self._done(request, doc_id, f"{done.tracking_number}: {done.message}")

    @post("/stops/{doc_id:str}/collect", status_code=303)
    async def collect(
        self,
        site: SiteDep,
        request: Request[Any, Any, Any],
        doc_id: FromPath[str],
        data: URLEncodedBody[CollectForm],
    ) -> Redirect | Template:
        """Collect the COD; a different amount needs a reason."""
        signed_in(request, site.ctx)
        fields: Fields = {
            AmountMismatch: "reason",
            CashLimitReached: "amount",
            InvalidInput: "amount",
        }
        try:
            minor = amount_minor(data.amount, (await c.find(site.ctx, doc_id)).info.currency)
            done = await c.collect(site.ctx, doc_id, minor, method=data.method, reason=data.reason)
        except EdgeError as exc:
            errors = {field_error(exc, fields, "collect"): str(exc)}
            return await self._stop(
                site,
                request,
                doc_id,
                status_code_of(exc),
                errors=errors,
                form=msgspec.structs.asdict(data),
            )
        return await self._done(request, doc_id, f"{done.tracking_number}: {done.message}")

    @post("/stops/{doc_id:str}/deliver", status_code=303)
    async def deliver(
        self,
        site: SiteDep,
        request: Request[Any, Any, Any],
        doc_id: FromPath[str],
        data: MultipartBody[DeliverForm],
    ) -> Redirect | Template:
        """Deliver with the proof: name, relation, signature, photo, place, PIN."""
        signed_in(request, site.ctx)
        saved: list[c.Attachment] = []
        fields: Fields = {OtpRejected: "otp", AmountMismatch: "deliver"}
        try:
            lat, lon = parse_point(data.lat, data.lon)
            signature = signature_bytes(data.signature)
            photo = await _read(data.photo)
            sig = await _save(site, signature, "signature")
            pic = await _save(site, photo, "photo")
            saved = [a for a in (sig, pic) if a is not None]
            done = await c.deliver(
                site.ctx,
                doc_id,
                recipient_name=data.recipient_name,
                relation=data.relation,
                signature=sig,
                photo=pic,
                lat=lat,
                lon=lon,
                otp=data.otp or None,
            )
        except EdgeError as exc:
            await _forget(site, saved)
            errors = {field_error(exc, fields, _proof_field(str(exc))): str(exc)}
            form = {"recipient_name": data.recipient_name, "relation": data.relation}
            return await self._stop(
                site, request, doc_id, status_code_of(exc), errors=errors, form=form
            )
        return await self._done(request, doc_id, f"{done.tracking_number}: {done.message}")

    @post("/stops/{doc_id:str}/fail", status_code=303)
    async def fail(
        self,
        site: SiteDep,
        request: Request[Any, Any, Any],
        doc_id: FromPath[str],
        data: URLEncodedBody[FailForm],
    ) -> Redirect | Template:
        """Record a failed attempt; the page then says what happens next."""
        signed_in(request, site.ctx)
        try:
            done = await c.fail(site.ctx, doc_id, data.reason, data.note)
        except EdgeError as exc:
            errors = {field_error(exc, {InvalidInput: "reason"}, "fail"): str(exc)}
            return await self._stop(site, request, doc_id, status_code_of(exc), errors=errors)
        said = f"{done.tracking_number}: failed attempt recorded ({REASON_LABEL[data.reason]})."
        return await self._done(request, doc_id, f"{said} {AFTER_FAILURE.get(done.status, '')}")


async def _read(upload: UploadFile | None) -> bytes:
    if upload is None or not upload.filename:
        return b""
    return await upload.read()


async def _save(site: Site, data: bytes, what: str) -> c.Attachment | None:
    """Store a proof file off the event loop; None when none was given."""
    return await anyio.to_thread.run_sync(save_proof, site.proofs, data, what) if data else None


async def _forget(site: Site, saved: list[c.Attachment]) -> None:
    """Remove proof files of a refused delivery that no recorded command refers to."""
    for item in saved:
        if not await site.ctx.store.attachment_known(item.sha256):
            await anyio.Path(item.path).unlink(missing_ok=True)


def _proof_field(message: str) -> str:
    for name in ("signature", "photo", "recipient", "relation", "lat", "lon"):
        if message.startswith(name) or f" {name} " in message:
            return {"recipient": "recipient_name", "lon": "lat"}.get(name, name)
    return "deliver"
