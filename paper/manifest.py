"""A courier's route manifest for a day: one line per stop, A4, with totals to sign."""

from __future__ import annotations

from collections.abc import Sequence

import msgspec
from reportlab.lib.pagesizes import A4
from reportlab.lib.units import mm
from reportlab.pdfgen.canvas import Canvas

from protocol.info import ShipmentInfo
from protocol.money import Money

from ._draw import barcode, fit, pdf, text

_MARGIN = 15 * mm
_ROW = 12 * mm
# column x positions (points from the left margin) and widths
_COLUMNS = ((0, 8 * mm), (9 * mm, 52 * mm), (62 * mm, 70 * mm), (133 * mm, 32 * mm))


class ManifestStop(msgspec.Struct, frozen=True):
    """One stop of the route as the manifest prints it."""

    seq: int
    tracking_number: str
    recipient_name: str
    address: str
    postcode: str
    city: str
    slot: str
    cod_amount: int
    currency: str
    status: str

    @classmethod
    def of(cls, seq: int, status: str, info: ShipmentInfo) -> ManifestStop:
        """The stop of a shipment at route position ``seq`` with its current ``status``."""
        slot = "-".join(s for s in (info.slot_start, info.slot_end) if s)
        return cls(
            seq,
            info.tracking_number,
            info.recipient_name,
            info.address,
            info.postcode,
            info.city,
            slot,
            info.cod_amount,
            info.currency,
            status,
        )


def manifest_pdf(depot: str, courier: str, day: str, stops: Sequence[ManifestStop]) -> bytes:
    """The manifest of ``courier``'s route on ``day`` at ``depot``, stops in route order."""
    per_page = int((A4[1] - 2 * _MARGIN - 40 * mm) // _ROW)
    pages = [stops[i : i + per_page] for i in range(0, len(stops), per_page)] or [[]]

    def draw(canvas: Canvas) -> None:
        for number, page in enumerate(pages, 1):
            _header(canvas, depot, courier, day, f"page {number} of {len(pages)}")
            y = A4[1] - _MARGIN - 30 * mm
            for stop in page:
                _row(canvas, stop, y)
                y -= _ROW
            if number == len(pages):
                _totals(canvas, stops, y - 4 * mm)
            canvas.showPage()

    return pdf(A4, f"Manifest {courier} {day}", draw)


def _header(canvas: Canvas, depot: str, courier: str, day: str, page: str) -> None:
    top = A4[1] - _MARGIN
    text(canvas, _MARGIN, top - 14, f"Route manifest {day}", 16)
    text(
        canvas, _MARGIN, top - 30, fit(f"Depot {depot}   Courier {courier}   {page}", 10, 170 * mm)
    )
    heads = ("#", "Tracking / recipient", "Address", "COD / slot")
    for (x, _), head in zip(_COLUMNS, heads, strict=True):
        text(canvas, _MARGIN + x, top - 24 * mm, head, 8)
    canvas.line(_MARGIN, top - 25 * mm, A4[0] - _MARGIN, top - 25 * mm)


def _row(canvas: Canvas, stop: ManifestStop, y: float) -> None:
    (x0, _), (x1, w1), (x2, w2), (x3, w3) = ((_MARGIN + x, w) for x, w in _COLUMNS)
    text(canvas, x0, y, str(stop.seq), 9)
    text(canvas, x1, y, stop.tracking_number, 9)
    barcode(canvas, x1, y - 9 * mm, stop.tracking_number, w1, 6 * mm)
    text(canvas, x2, y, fit(stop.recipient_name, 9, w2), 9)
    text(canvas, x2, y - 11, fit(stop.address, 8, w2), 8)
    text(canvas, x2, y - 21, fit(f"{stop.postcode} {stop.city}".strip(), 8, w2), 8)
    cod = Money(stop.cod_amount, stop.currency).format() if stop.cod_amount else "prepaid"
    text(canvas, x3, y, fit(cod, 9, w3), 9)
    text(canvas, x3, y - 11, fit(stop.slot, 8, w3), 8)
    text(canvas, x3, y - 21, fit(stop.status, 8, w3), 8)


def _totals(canvas: Canvas, stops: Sequence[ManifestStop], y: float) -> None:
    canvas.line(_MARGIN, y + 8, A4[0] - _MARGIN, y + 8)
    cod: dict[str, int] = {}
    for stop in stops:
        if stop.cod_amount:
            cod[stop.currency] = cod.get(stop.currency, 0) + stop.cod_amount
    money = ", ".join(Money(v, c).format() for c, v in sorted(cod.items())) or "none"
    text(canvas, _MARGIN, y - 6, f"{len(stops)} stops; cash on delivery to collect: {money}", 10)
    text(canvas, _MARGIN, y - 30, "Handed over by ____________________", 10)
    text(canvas, _MARGIN + 90 * mm, y - 30, "Courier ____________________", 10)
