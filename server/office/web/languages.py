"""Choosing the tracking page's language from the browser's ``Accept-Language``."""

from __future__ import annotations

LANGUAGES = ("en", "ru", "bg", "ro")
DEFAULT = "en"


def negotiate(accept_language: str, supported: tuple[str, ...] = LANGUAGES) -> str:
    """The supported language the browser prefers most (by q-value, then order).

    ``bg-BG,bg;q=0.9,en;q=0.8`` gives ``bg``; a malformed entry is skipped;
    nothing acceptable gives English.
    """
    ranked: list[tuple[float, int, str]] = []
    for position, part in enumerate(accept_language.split(",")[:50]):
        tag, _, params = part.strip().partition(";")
        quality = 1.0
        if params.strip().startswith("q="):
            try:
                quality = float(params.strip()[2:])
            except ValueError:
                continue
        primary = tag.strip().lower().split("-")[0]
        if primary in supported and quality > 0:
            ranked.append((-quality, position, primary))
    return min(ranked)[2] if ranked else DEFAULT
