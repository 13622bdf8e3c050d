"""``GET /track/{tracking_number}``: the public page a recipient opens. No login.

In English, Russian, Bulgarian or Romanian by the browser's ``Accept-Language``,
times in the depot's time zone (``--time-zone`` / ``--depot-zones``), the slot
in words. Shows the status and history in plain words, the delivery slot and the city;
never the recipient's name, phone, address, OTP, the amount due or who the
courier is. Reads the projection through the merchant API's row readers. The
times shown are when central received each event, never the writer's HLC (a
handheld's clock may be hours off).

``POST /track/{tracking_number}/day`` and ``/instructions``: the recipient asks for
a new delivery date or leaves instructions for the courier, with the postcode of
the delivery address as a second factor (a wrong one is a 401, counted by the
per-address lockout of :mod:`server.auth_limit`) and the signed form token of
:mod:`.track_token`. Errors are shown next to the field, in the page's language;
a refusal changes nothing.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Annotated, Any

import msgspec
from litestar import Request, Router, get, post
from litestar.di import Provide
from litestar.enums import RequestEncodingType
from litestar.params import Body
from litestar.response import Template

from protocol.errors import InvalidTrackingNumber
from protocol.events import MAX_INSTRUCTIONS
from protocol.followups import HORIZON_DAYS
from protocol.ids import validate_tracking_number
from protocol.lifecycle import INSTRUCTABLE

from ...core import Central
from ...followups.service import RuleRefused
from ...merchant_api._rows import shipment_events, shipment_row
from ..store import tracking_place
from .languages import negotiate
from .plain_words import event_sentence, status_sentence
from .session import SessionKeyring
from .track_time import event_time, slot_in_words
from .track_token import form_token, new_nonce, nonce_cookie, nonce_of, token_ok
from .track_words import PAGE


@dataclass(frozen=True)
class TrackingView:
    """Exactly what the tracking page may show."""

    tracking_number: str
    status: str
    status_text: str
    city: str
    slot: str  # in words, in the page's language
    zone: str
    history: list[tuple[str, str]]  # (when, what), oldest first

    @property
    def askable(self) -> bool:
        """True while the recipient may still ask for a date or leave instructions."""
        return self.status in {s.value for s in INSTRUCTABLE}


async def tracking_view(central: Central, tracking_number: str, lang: str) -> TrackingView | None:
    """The public view of one parcel in ``lang``, or None when no parcel has that number."""
    row = await shipment_row(central.store, "tracking_number", tracking_number)
    if row is None:
        return None
    doc_id, status, zone = row[0], str(row[4] or ""), central.zones.of(str(row[5] or ""))
    city, slot_start, slot_end, route_day = await tracking_place(central.store, doc_id)
    received = await central.store.receipts(doc_id)
    history = []
    for event in await shipment_events(central.store, doc_id):
        sentence = event_sentence(event.type, event.payload, lang)
        if sentence is not None:
            history.append((event_time(received.get(event.id), zone, lang), sentence))
    slot = slot_in_words(slot_start, slot_end, route_day, zone, lang)
    text = status_sentence(status, lang)
    return TrackingView(tracking_number, status, text, city, slot, zone.key, history)


def _page(name: str, lang: str, status_code: int = 200, **context: object) -> Template:
    words = PAGE[lang]
    headers = {"content-language": lang, "vary": "Accept-Language"}
    return Template(
        name,
        context={"lang": lang, "words": words, **context},
        status_code=status_code,
        headers=headers,
    )


class AskForm(msgspec.Struct):
    """Either form of the tracking page (the other form's field stays empty)."""

    postcode: str = ""
    route_day: str = ""
    instructions: str = ""
    form_token: str = ""


def _number(tracking_number: str, lang: str) -> str | Template:
    try:
        return validate_tracking_number(tracking_number)
    except InvalidTrackingNumber as exc:
        return _page("track_missing.html", lang, 404, message=f"tracking_number: {exc}")


def _missing(number: str, lang: str) -> Template:
    return _page(
        "track_missing.html", lang, 404, message=PAGE[lang]["missing"].format(number=number)
    )


async def _shown(
    request: Request[Any, Any, Any],
    central: Central,
    keyring: SessionKeyring,
    number: str,
    lang: str,
    status_code: int = 200,
    **context: object,
) -> Template:
    view = await tracking_view(central, number, lang)
    if view is None:
        return _missing(number, lang)
    nonce = nonce_of(request.cookies) or new_nonce()
    token = form_token(await keyring.secret(central), nonce, number)
    page = _page("track.html", lang, status_code, view=view, token=token, **context)
    page.cookies.append(nonce_cookie(nonce, request.url.scheme == "https"))
    return page


@get("/track/{tracking_number:str}", include_in_schema=False)
async def track(
    request: Request[Any, Any, Any],
    tracking_number: str,
    central: Central,
    track_keyring: SessionKeyring,
) -> Template:
    """The tracking page, or a 404 page saying why nothing is shown."""
    lang = negotiate(request.headers.get("accept-language", ""))
    number = _number(tracking_number, lang)
    if isinstance(number, Template):
        return number
    return await _shown(request, central, track_keyring, number, lang, errors={}, form={})


def _error_key(form: str, field: str) -> str:
    if field in ("postcode", "status"):
        return f"{form}-{field}"
    return "route_day" if form == "day" else "instructions"


async def _ask(
    request: Request[Any, Any, Any],
    central: Central,
    keyring: SessionKeyring,
    tracking_number: str,
    form: str,
    data: AskForm,
) -> Template:
    lang = negotiate(request.headers.get("accept-language", ""))
    number = _number(tracking_number, lang)
    if isinstance(number, Template):
        return number
    words = PAGE[lang]
    shown = {name: getattr(data, name) for name in ("postcode", "route_day", "instructions")}
    secret = await keyring.secret(central)
    if not token_ok(secret, nonce_of(request.cookies), number, data.form_token):
        errors = {f"{form}-status": words["err_form"]}
        return await _shown(request, central, keyring, number, lang, 403, errors=errors, form=shown)
    row = await shipment_row(central.store, "tracking_number", number)
    if row is None:
        return _missing(number, lang)
    try:
        await central.followups.recipient_request(
            str(row[0]), data.postcode, data.route_day.strip(), data.instructions
        )
    except RuleRefused as exc:
        refused = exc.refused
        text = words[f"err_{refused.code}"].format(n=MAX_INSTRUCTIONS, days=HORIZON_DAYS)
        errors = {_error_key(form, refused.field): text}
        code = refused.status_code
        return await _shown(
            request, central, keyring, number, lang, code, errors=errors, form=shown
        )
    done = words["done_day"].format(day=data.route_day.strip()) if form == "day" else ""
    done = done or words["done_instructions"]
    return await _shown(request, central, keyring, number, lang, errors={}, form={}, done=done)


AskBody = Annotated[AskForm, Body(media_type=RequestEncodingType.URL_ENCODED)]


@post("/track/{tracking_number:str}/day", status_code=200, include_in_schema=False)
async def ask_day(
    request: Request[Any, Any, Any],
    tracking_number: str,
    central: Central,
    track_keyring: SessionKeyring,
    data: AskBody,
) -> Template:
    """The recipient asks for a new delivery date."""
    form = msgspec.structs.replace(data, instructions="")
    return await _ask(request, central, track_keyring, tracking_number, "day", form)


@post("/track/{tracking_number:str}/instructions", status_code=200, include_in_schema=False)
async def ask_instructions(
    request: Request[Any, Any, Any],
    tracking_number: str,
    central: Central,
    track_keyring: SessionKeyring,
    data: AskBody,
) -> Template:
    """The recipient leaves delivery instructions for the courier."""
    form = msgspec.structs.replace(data, route_day="")
    return await _ask(request, central, track_keyring, tracking_number, "note", form)


def tracking_router() -> Router:
    """The public tracking page and its two forms, with one keyring for the form token."""
    keyring = SessionKeyring()
    return Router(
        path="/",
        route_handlers=[track, ask_day, ask_instructions],
        dependencies={"track_keyring": Provide(lambda: keyring, sync_to_thread=False)},
        include_in_schema=False,
    )
