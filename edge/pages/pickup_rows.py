"""Today's reverse pickups as the courier's route page lists them (below the stops)."""

from __future__ import annotations

from typing import Any

from .. import commands as c
from .site import Site

PICKUP_LABEL = {
    "requested": "to pick up",
    "picked_up": "picked up",
    "received": "at the depot",
    "inspected": "at the depot",
    "completed": "done",
}


async def pickup_rows(site: Site) -> list[dict[str, Any]]:
    """The signed-in courier's pickups of today, in stop order, each with its label."""
    return [
        {"pickup": p, "label": PICKUP_LABEL.get(p.status, p.status)}
        for p in await c.my_pickups(site.ctx)
    ]
