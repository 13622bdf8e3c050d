"""The shipment page's follow-up forms: answer a hold, mark lost (with who is liable),
found again. Each posts to :class:`server.followups.service.FollowUpService` (the API's
service) as the device logged in on the session, then shows the page again; a refusal
is an HTML page naming the field, and nothing is written."""

from __future__ import annotations

from typing import Annotated, TypeVar

import msgspec
from litestar import Controller, post
from litestar.enums import RequestEncodingType
from litestar.exceptions import ValidationException
from litestar.params import Body
from litestar.response import Redirect

from protocol.permissions import Device

from ...followups.schemas import DecisionIn, FoundIn, LostIn
from ...followups.service import FollowUpService
from .pages import HTML_FORM

PAGE = "/office/shipments/"
Form = Annotated[dict[str, str], Body(media_type=RequestEncodingType.URL_ENCODED)]
T = TypeVar("T", bound=msgspec.Struct)


def parsed(form: dict[str, str], kind: type[T]) -> T:
    """The form's fields as ``kind`` (a 400 naming the field otherwise); blank fields and
    the CSRF token are left out."""
    fields = {k: v.strip() for k, v in form.items() if k in kind.__struct_fields__ and v.strip()}
    try:
        return msgspec.convert(fields, kind)
    except msgspec.ValidationError as exc:
        raise ValidationException(f"form: {exc}") from None


class ShipmentFollowUpPages(Controller):
    path = "/office/shipments"
    include_in_schema = False

    @post("/{doc_id:str}/decision", status_code=303, opt=HTML_FORM)
    async def decide(
        self, doc_id: str, data: Form, office_device: Device, followups: FollowUpService
    ) -> Redirect:
        """Answer the parcel's hold: deliver again (day, address, slot) or return it."""
        await followups.decide(office_device, doc_id, parsed(data, DecisionIn))
        return Redirect(PAGE + doc_id, status_code=303)

    @post("/{doc_id:str}/lost", status_code=303, opt=HTML_FORM)
    async def lost(
        self, doc_id: str, data: Form, office_device: Device, followups: FollowUpService
    ) -> Redirect:
        """Mark the parcel lost, saying who is liable."""
        await followups.mark_lost(office_device, doc_id, parsed(data, LostIn))
        return Redirect(PAGE + doc_id, status_code=303)

    @post("/{doc_id:str}/found", status_code=303, opt=HTML_FORM)
    async def found(
        self, doc_id: str, data: Form, office_device: Device, followups: FollowUpService
    ) -> Redirect:
        """Record the lost parcel found again."""
        await followups.found(office_device, doc_id, parsed(data, FoundIn))
        return Redirect(PAGE + doc_id, status_code=303)
