"""The depot's route manifest: a courier's stops of a day, read from the replica."""

from __future__ import annotations

import datetime as dt
from typing import TYPE_CHECKING

from protocol.info import ShipmentInfo
from protocol.vocab import DocType, Role

from ..context import EdgeContext
from ..docs import contents
from ..errors import InvalidInput, NothingToDo

if TYPE_CHECKING:
    from paper import ManifestStop


def route_day(value: str) -> str:
    """``value`` if it is a day ``YYYY-MM-DD`` (else ``InvalidInput`` naming it)."""
    try:
        return dt.date.fromisoformat(value.strip()).isoformat()
    except ValueError:
        raise InvalidInput(f"--day {value!r} is not a day like 2026-12-05") from None


async def manifest_stops(ctx: EdgeContext, day: str, courier_id: str) -> list[ManifestStop]:
    """The stops of ``courier_id``'s route on ``day`` at this depot, in route order."""
    from paper import ManifestStop  # reportlab: only for a manifest

    ctx.require(Role.DEPOT)
    day = route_day(day)
    rows = await ctx.store.manifest_rows(ctx.identity.depot_id, courier_id, day)
    if not rows:
        raise NothingToDo(f"courier {courier_id} has no stops at this depot on {day}")
    held = await contents(ctx.store, [r[0] for r in rows])
    stops = []
    for doc_id, seq, status in rows:
        info = held[doc_id][1].typed_info(DocType.SHIPMENT)
        assert isinstance(info, ShipmentInfo)
        stops.append(ManifestStop.of(int(seq or 0), str(status), info))
    return stops
