"""``GET /track/{tracking_number}``: the public page a recipient opens. No login.

Shows the status and history in plain words, the delivery slot and the city;
never the recipient's name, phone, address, OTP, the amount due or who the
courier is. Reads the projection through the merchant API's row readers. The
times shown are when central received each event, never the writer's HLC (a
handheld's clock may be hours off).
"""

from __future__ import annotations

from dataclasses import dataclass

from litestar import get
from litestar.response import Template

from protocol.errors import InvalidTrackingNumber
from protocol.ids import validate_tracking_number

from ...core import Central
from ...merchant_api._rows import shipment_events, shipment_row
from .formatting import time_text
from .plain_words import event_sentence, status_sentence


@dataclass(frozen=True)
class TrackingView:
    """Exactly what the tracking page may show."""

    tracking_number: str
    status: str
    status_text: str
    city: str
    slot_start: str
    slot_end: str
    history: list[tuple[str, str]]  # (when, what), oldest first


async def tracking_view(central: Central, tracking_number: str) -> TrackingView | None:
    """The public view of one parcel, or None when no parcel has that number."""
    row = await shipment_row(central.store, "tracking_number", tracking_number)
    if row is None:
        return None
    doc_id, status = row[0], str(row[4] or "")
    places = await central.store.query(
        "SELECT city, slot_start, slot_end FROM p_shipments WHERE doc_id = ?", (doc_id,)
    )
    city, slot_start, slot_end = (str(v or "") for v in places[0])
    received = await central.store.receipts(doc_id)
    history = []
    for event in await shipment_events(central.store, doc_id):
        sentence = event_sentence(event.type, event.payload)
        if sentence is not None:
            history.append((time_text(received.get(event.id)), sentence))
    return TrackingView(
        tracking_number, status, status_sentence(status), city, slot_start, slot_end, history
    )


def _missing(message: str) -> Template:
    return Template("track_missing.html", context={"message": message}, status_code=404)


@get("/track/{tracking_number:str}", include_in_schema=False)
async def track(tracking_number: str, central: Central) -> Template:
    """The tracking page, or a 404 page saying why nothing is shown."""
    try:
        number = validate_tracking_number(tracking_number)
    except InvalidTrackingNumber as exc:
        return _missing(f"tracking_number: {exc}")
    view = await tracking_view(central, number)
    if view is None:
        return _missing(f"We have no parcel with tracking number {number}. Check the number.")
    return Template("track.html", context={"view": view})
