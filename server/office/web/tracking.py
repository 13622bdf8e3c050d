"""``GET /track/{tracking_number}``: the public page a recipient opens. No login.

In English, Russian, Bulgarian or Romanian by the browser's ``Accept-Language``,
times in the depot's time zone (``--time-zone`` / ``--depot-zones``), the slot
in words. Shows the status and history in plain words, the delivery slot and the city;
never the recipient's name, phone, address, OTP, the amount due or who the
courier is. Reads the projection through the merchant API's row readers. The
times shown are when central received each event, never the writer's HLC (a
handheld's clock may be hours off).
"""

from __future__ import annotations

from dataclasses import dataclass

from litestar import Request, get
from litestar.response import Template

from protocol.errors import InvalidTrackingNumber
from protocol.ids import validate_tracking_number

from ...core import Central
from ...merchant_api._rows import shipment_events, shipment_row
from ..store import tracking_place
from .languages import negotiate
from .plain_words import event_sentence, status_sentence
from .track_time import event_time, slot_in_words
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


@get("/track/{tracking_number:str}", include_in_schema=False)
async def track(request: Request, tracking_number: str, central: Central) -> Template:  # type: ignore[type-arg]
    """The tracking page, or a 404 page saying why nothing is shown."""
    lang = negotiate(request.headers.get("accept-language", ""))
    try:
        number = validate_tracking_number(tracking_number)
    except InvalidTrackingNumber as exc:
        return _page("track_missing.html", lang, 404, message=f"tracking_number: {exc}")
    view = await tracking_view(central, number, lang)
    if view is None:
        message = PAGE[lang]["missing"].format(number=number)
        return _page("track_missing.html", lang, 404, message=message)
    return _page("track.html", lang, view=view)
