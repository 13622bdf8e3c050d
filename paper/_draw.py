"""Drawing pieces shared by the label and the manifest."""

from __future__ import annotations

import io
from collections.abc import Callable

from reportlab.graphics.barcode.code128 import Code128
from reportlab.pdfbase.pdfmetrics import stringWidth
from reportlab.pdfgen.canvas import Canvas

from ._fonts import font


def pdf(size: tuple[float, float], title: str, draw: Callable[[Canvas], None]) -> bytes:
    """A PDF of pages drawn by ``draw``; ``invariant`` so the same data gives the same bytes."""
    out = io.BytesIO()
    canvas = Canvas(out, pagesize=size, invariant=True, pageCompression=1)
    canvas.setTitle(title)
    canvas.setCreator("parcelsync")
    draw(canvas)
    canvas.save()
    return out.getvalue()


def text(canvas: Canvas, x: float, y: float, value: str, size: float = 9) -> None:
    """One line of text in the document font at (x, y)."""
    canvas.setFont(font(), size)
    canvas.drawString(x, y, value)


def fit(value: str, size: float, width: float) -> str:
    """``value`` cut (with an ellipsis) to fit ``width`` points at ``size``."""
    name = font()
    if stringWidth(value, name, size) <= width:
        return value
    while value and stringWidth(value + "…", name, size) > width:
        value = value[:-1]
    return value + "…"


def barcode(canvas: Canvas, x: float, y: float, value: str, width: float, height: float) -> float:
    """A Code 128 barcode of ``value`` at most ``width`` wide; returns its drawn width."""
    probe = Code128(value, barWidth=1, barHeight=height)
    bar = min(width / probe.width, 3.0)
    code = Code128(value, barWidth=bar, barHeight=height)
    code.drawOn(canvas, x, y)
    return float(code.width)
