"""The courier's reverse pickups: a return on today's route, picked up with a proof.

``/pickups/{doc_id}`` shows where and what to collect (the items and units of
the RMA); its form records the pickup with who handed it over, a signature
drawn on the screen, a photo and the position, through the same command as
``parcelsync edge pickup-return`` (:func:`edge.commands.pickup_return`).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from litestar import Controller, Request, get, post
from litestar.datastructures import UploadFile
from litestar.di import NamedDependency
from litestar.params import FromPath, MultipartBody
from litestar.response import Redirect, Template

from .. import commands as c
from ..errors import EdgeError, NotFound, OutOfScope
from ..proofs import signature_bytes
from .courier import _forget, _read, _save
from .forms import parse_point, status_code_of
from .pickup_rows import PICKUP_LABEL
from .session import signed_in
from .site import Site, notify, page

SiteDep = NamedDependency[Site]


@dataclass
class PickupForm:
    handed_by: str = ""
    signature: str = ""  # the canvas as a PNG data URL
    photo: UploadFile | None = None
    lat: str = ""
    lon: str = ""

    def __post_init__(self) -> None:
        for name in ("handed_by", "lat", "lon"):
            if len(getattr(self, name)) > 200:
                raise ValueError(f"{name}: at most 200 characters")
        if len(self.signature) > 1_500_000:
            raise ValueError("signature: the drawing is too large")


class PickupPages(Controller):
    include_in_schema = False

    async def _page(
        self,
        site: Site,
        request: Request[Any, Any, Any],
        doc_id: str,
        status_code: int = 200,
        **extra: Any,
    ) -> Template:
        try:
            view = await c.my_return(site.ctx, doc_id)
        except (NotFound, OutOfScope):
            return await page(site, request, "gone.html", 404, doc_id=doc_id)
        label = PICKUP_LABEL.get(view.state.status, view.state.status)
        return await page(
            site, request, "pickup.html", status_code, view=view, label=label, **extra
        )

    @get("/pickups/{doc_id:str}")
    async def pickup(
        self, site: SiteDep, request: Request[Any, Any, Any], doc_id: FromPath[str]
    ) -> Template:
        """One reverse pickup: the address, the items to collect, the proof form."""
        signed_in(request, site.ctx)
        return await self._page(site, request, doc_id)

    @post("/pickups/{doc_id:str}", status_code=303)
    async def picked_up(
        self,
        site: SiteDep,
        request: Request[Any, Any, Any],
        doc_id: FromPath[str],
        data: MultipartBody[PickupForm],
    ) -> Redirect | Template:
        """Record the pickup with its proof; a refusal keeps the form and says why."""
        signed_in(request, site.ctx)
        saved: list[c.Attachment] = []
        try:
            lat, lon = parse_point(data.lat, data.lon)
            sig = await _save(site, signature_bytes(data.signature), "signature")
            pic = await _save(site, await _read(data.photo), "photo")
            saved = [a for a in (sig, pic) if a is not None]
            done = await c.pickup_return(
                site.ctx,
                doc_id,
                handed_by=data.handed_by,
                signature=sig,
                photo=pic,
                lat=lat,
                lon=lon,
            )
        except EdgeError as exc:
            await _forget(site, saved)
            field = next(
                (f for f in ("signature", "photo", "lat") if str(exc).startswith(f)), "pickup"
            )
            form = {"handed_by": data.handed_by}
            return await self._page(
                site, request, doc_id, status_code_of(exc), errors={field: str(exc)}, form=form
            )
        notify(request, f"Return {doc_id[:8]}: {done.message}. Bring it to the depot.")
        return Redirect(f"/pickups/{doc_id}", status_code=303)
