"""Today's reverse pickups as the courier's route page lists them (below the stops), and
the pickup a scanned code opens."""

from __future__ import annotations

from typing import Any

from protocol.ids import is_uuid

from .. import commands as c
from ..errors import NotFound, OutOfScope
from .site import Site

PICKUP_LABEL = {
    "requested": "to pick up",
    "picked_up": "picked up",
    "received": "at the depot",
    "inspected": "at the depot",
    "completed": "done",
}


async def pickup_of(site: Site, code: str) -> str | None:
    """The id of the return on this courier's route a scanned or typed code names, if any."""
    code = code.strip()
    if not is_uuid(code):
        return None
    try:
        return (await c.my_return(site.ctx, code)).doc_id
    except (NotFound, OutOfScope):
        return None


async def pickup_rows(site: Site) -> list[dict[str, Any]]:
    """The signed-in courier's pickups of today, in stop order, each with its label."""
    return [
        {"pickup": p, "label": PICKUP_LABEL.get(p.status, p.status)}
        for p in await c.my_pickups(site.ctx)
    ]
