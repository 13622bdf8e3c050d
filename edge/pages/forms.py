"""The delivery form (multipart, with the photo) and how a refusal finds its field and status."""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass

from litestar.datastructures import UploadFile

from ..errors import EdgeError, InvalidInput

MAX_SIGNATURE_CHARS = 1_500_000
QUANTITY_REFUSAL = "quantity: a whole number of units"
STOP_REFUSAL = "stop: a whole number, like 7"


@dataclass
class DeliverForm:
    recipient_name: str = ""
    relation: str = "self"
    signature: str = ""  # the canvas as a PNG data URL
    photo: UploadFile | None = None
    lat: str = ""
    lon: str = ""
    otp: str = ""

    def __post_init__(self) -> None:
        for name in ("recipient_name", "relation", "lat", "lon", "otp"):
            if len(getattr(self, name)) > 200:
                raise ValueError(f"{name}: at most 200 characters")
        if len(self.signature) > MAX_SIGNATURE_CHARS:
            raise ValueError("signature: the drawing is too large")


def parse_point(lat: str, lon: str) -> tuple[float | None, float | None]:
    """The browser's position (degrees); both empty means none was given."""
    if not lat.strip() and not lon.strip():
        return None, None
    try:
        point = float(lat), float(lon)
    except ValueError:
        raise InvalidInput("lat: the position could not be read") from None
    if not all(math.isfinite(v) for v in point) or abs(point[0]) > 90 or abs(point[1]) > 180:
        raise InvalidInput("lat: the position is outside the map")
    return point


def whole_number(text: str, refusal: str) -> int:
    """``text`` as a whole number of units or a stop; else :class:`InvalidInput` ``refusal``."""
    if not text.strip().isdigit():
        raise InvalidInput(refusal)
    return int(text)


def field_error(exc: EdgeError, fields: Mapping[type[EdgeError], str], default: str) -> str:
    """The form field a refusal is about: the first class of ``exc`` listed, else ``default``."""
    for kind in type(exc).__mro__:
        if kind in fields:
            return fields[kind]
    return default


def status_code_of(exc: EdgeError) -> int:
    """400 for malformed input, 409 for a refusal by a business rule."""
    return 400 if isinstance(exc, InvalidInput) else 409
