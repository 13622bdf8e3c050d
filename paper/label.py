"""A 100 x 150 mm shipping label: sort code, recipient, COD, tracking barcode."""

from __future__ import annotations

from reportlab.lib.units import mm
from reportlab.pdfgen.canvas import Canvas

from protocol.info import ShipmentInfo
from protocol.labels import sort_code

from ._draw import barcode, fit, pdf, text

SIZE = (100 * mm, 150 * mm)
_MARGIN = 5 * mm
_WIDTH = SIZE[0] - 2 * _MARGIN


def label_pdf(info: ShipmentInfo, sender: str = "") -> bytes:
    """The label of a shipment; ``ValueError`` if it has no depot (so no sort code)."""
    code = sort_code(info.depot_id, info.postcode)

    def draw(canvas: Canvas) -> None:
        top = SIZE[1] - _MARGIN
        text(canvas, _MARGIN, top - 8, fit(f"From: {sender or info.merchant_id}", 8, _WIDTH), 8)
        if info.order_ref:
            text(canvas, _MARGIN, top - 18, fit(f"Order: {info.order_ref}", 8, _WIDTH), 8)
        text(canvas, _MARGIN, top - 50, code, 26)
        barcode(canvas, _MARGIN, top - 90, code, _WIDTH * 0.7, 32)
        canvas.line(_MARGIN, top - 98, SIZE[0] - _MARGIN, top - 98)
        _recipient(canvas, info, top - 116)
        canvas.line(_MARGIN, 62 * mm, SIZE[0] - _MARGIN, 62 * mm)
        _terms(canvas, info, 56 * mm)
        barcode(canvas, _MARGIN, 14 * mm, info.tracking_number, _WIDTH, 22 * mm)
        text(canvas, _MARGIN, 8 * mm, info.tracking_number, 14)

    return pdf(SIZE, f"Label {info.tracking_number}", draw)


def _recipient(canvas: Canvas, info: ShipmentInfo, y: float) -> None:
    text(canvas, _MARGIN, y, "To:", 8)
    lines = [
        (info.recipient_name, 14),
        (info.address, 11),
        (f"{info.postcode} {info.city}".strip(), 12),
        (info.recipient_phone, 10),
    ]
    for value, size in lines:
        if value:
            y -= size + 5
            text(canvas, _MARGIN, y, fit(value, size, _WIDTH), size)


def _terms(canvas: Canvas, info: ShipmentInfo, y: float) -> None:
    cod = info.cod
    text(canvas, _MARGIN, y, f"COD {cod.format()}" if cod else "Prepaid", 14)
    slot = " - ".join(s for s in (info.slot_start, info.slot_end) if s)
    if slot:
        text(canvas, _MARGIN, y - 16, fit(f"Slot: {slot}", 10, _WIDTH), 10)
    grams = sum(p.weight_g for p in info.parcels)
    parcels = f"{len(info.parcels) or 1} parcel(s)" + (
        f", {grams // 1000}.{grams % 1000 // 100} kg" if grams else ""
    )
    text(canvas, _MARGIN, y - 30, parcels, 10)
