"""``/office/manifest.pdf?depot=&courier=&day=``: a route manifest, printed at head office."""

from __future__ import annotations

import datetime as dt
from typing import Annotated

import anyio.to_thread
from litestar import Controller, Response, get
from litestar.exceptions import NotFoundException
from litestar.params import Parameter

from paper import ManifestStop, manifest_pdf
from protocol.info import ShipmentInfo
from protocol.permissions import Device
from protocol.vocab import DocType
from sync.documents import load, read_content

from ...core import Central
from .pages import HTML_FORM

Id = Annotated[str, Parameter(min_length=1, max_length=200)]


class ManifestPages(Controller):
    path = "/office/manifest.pdf"
    include_in_schema = False

    @get("/", opt=HTML_FORM, media_type="application/pdf")
    async def manifest(
        self, office_device: Device, central: Central, depot: Id, courier: Id, day: dt.date
    ) -> Response[bytes]:
        """The same manifest the depot prints (``parcelsync edge manifest``)."""
        stops = await _stops(central, depot, courier, day.isoformat())
        pdf = await anyio.to_thread.run_sync(manifest_pdf, depot, courier, day.isoformat(), stops)
        name = f"manifest-{day.isoformat()}.pdf"
        headers = {"content-disposition": f'inline; filename="{name}"'}
        return Response(pdf, media_type="application/pdf", headers=headers)


async def _stops(central: Central, depot: str, courier: str, day: str) -> list[ManifestStop]:
    rows = await central.store.manifest_rows(depot, courier, day)
    if not rows:
        raise NotFoundException(f"courier: {courier} has no stops at depot {depot} on {day}")
    stored = await central.store.load([r[0] for r in rows])
    stops = []
    for doc_id, seq, status in rows:
        info = read_content(load(stored[doc_id].state)).typed_info(DocType.SHIPMENT)
        assert isinstance(info, ShipmentInfo)
        stops.append(ManifestStop.of(int(seq or 0), str(status), info))
    return stops
