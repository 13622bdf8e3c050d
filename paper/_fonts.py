"""The one font of every document, with the letters of every market's names.

reportlab's built-in Helvetica only has Latin-1 (no ``ł``, no Cyrillic), so the
pages use a TrueType font: ``$PARCELSYNC_PDF_FONT`` if set, else DejaVu Sans
where the system has it, else the Bitstream Vera that ships with reportlab.
"""

from __future__ import annotations

import functools
import os
from pathlib import Path

import reportlab
from reportlab.pdfbase import pdfmetrics
from reportlab.pdfbase.ttfonts import TTFont

_SYSTEM = (
    "/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf",
    "/usr/share/fonts/dejavu/DejaVuSans.ttf",
    "/usr/share/fonts/TTF/DejaVuSans.ttf",
)
REGULAR = "ParcelSans"


def _font_path() -> Path:
    chosen = os.environ.get("PARCELSYNC_PDF_FONT", "")
    if chosen:
        path = Path(chosen)
        if not path.is_file():
            raise FileNotFoundError(f"PARCELSYNC_PDF_FONT={chosen!r} is not a font file")
        return path
    for candidate in _SYSTEM:
        if Path(candidate).is_file():
            return Path(candidate)
    return Path(reportlab.__file__).parent / "fonts" / "Vera.ttf"


@functools.cache
def font() -> str:
    """The registered font's name (registered once per process)."""
    pdfmetrics.registerFont(TTFont(REGULAR, str(_font_path())))
    return REGULAR
