"""The depot's handhelds and their health: what each last reported to this depot, in words.

A handheld reports its health in every sync request (:mod:`sync.device_health`);
the depot keeps the latest. The verdict names the one thing to look at first.
"""

from __future__ import annotations

from typing import Any

from litestar import Controller, Request, get
from litestar.di import NamedDependency
from litestar.response import Template

from protocol.wire import RelayedHealth

from .session import staff_signed_in
from .site import Site, age_text, page

SiteDep = NamedDependency[Site]
SILENT_S = 3600  # not heard from for an hour: is it switched on, in range?
BEHIND_S = 900  # its oldest unsent record is older than this: it is not getting through


def verdict(record: RelayedHealth, now_ms: int) -> tuple[str, str]:
    """``(level, words)``: ``ok``, ``watch`` or ``act``, and what to do."""
    silent = (now_ms - record.seen_ms) / 1000
    h = record.health
    if h is not None and h.quarantined:
        return "act", f"{h.quarantined} record(s) refused: ask the courier to open the sync bar"
    if silent > SILENT_S:
        return "watch", f"not heard from for {age_text(silent).removesuffix(' ago')}"
    if h is not None and (h.oldest_unsent_age_s or 0) > BEHIND_S:
        return "watch", "records are not getting through: check its network"
    if h is None:
        return "watch", "reports no health (an older app): update it"
    return "ok", "OK"


async def handheld_rows(site: Site) -> list[dict[str, Any]]:
    """One row per handheld that synced with this depot, the ones needing action first."""
    status = await site.status()
    now = site.ctx.wall()
    rows = []
    for record in status.handhelds:
        h = record.health
        device = await site.ctx.store.device(record.device_id)
        level, words = verdict(record, now)
        rows.append(
            {
                "device": record.device_id,
                "courier": device.courier_id if device and device.courier_id else "-",
                "seen": age_text((now - record.seen_ms) / 1000),
                "waiting": h.waiting if h else None,
                "oldest": age_text(h.oldest_unsent_age_s)
                if h and h.oldest_unsent_age_s is not None
                else "",
                "refused": h.quarantined if h else None,
                "synced": age_text((now - h.last_sync_ms) / 1000)
                if h and h.last_sync_ms
                else "never",
                "version": h.app_version if h and h.app_version else "-",
                "level": level,
                "verdict": words,
            }
        )
    order = {"act": 0, "watch": 1, "ok": 2}
    return sorted(rows, key=lambda r: (order[r["level"]], r["device"]))


class DepotHandhelds(Controller):
    include_in_schema = False

    @get("/handhelds")
    async def handhelds(self, site: SiteDep, request: Request[Any, Any, Any]) -> Template:
        """The depot's handhelds and the health each last reported here."""
        staff = await staff_signed_in(request, site.ctx)
        rows = await handheld_rows(site)
        return await page(site, request, "desk_handhelds.html", person=staff, rows=rows)
