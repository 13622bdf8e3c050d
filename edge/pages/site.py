"""What every handheld page shows around its content: the sync bar, the courier, a notice.

The sync bar is read from the replica on every page (and refreshed by the
page's script from ``/sync``): online or not, items waiting and the oldest,
the last sync, proof files still to upload, and each refused item with the
reason and what to do, in plain words.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from litestar import Request
from litestar.response import Template

from ..context import EdgeContext
from ..docs import shipment_by_id
from ..status import NodeStatus
from .words import FILE_ADVICE, command_label, refusal_words

NOTICE = "notice"


@dataclass(frozen=True, slots=True)
class Site:
    """What the pages need from the running node."""

    ctx: EdgeContext
    status: Callable[[], Awaitable[NodeStatus]]
    proofs: Path


@dataclass(frozen=True, slots=True)
class SyncBar:
    online: bool
    waiting: int
    oldest: str
    last_sync: str
    files_waiting: int
    refused: list[tuple[str, str, str]]  # (what, reason in plain words, what to do)
    last_error: str


def age_text(seconds: float | None) -> str:
    """``"never"``, ``"12 s ago"``, ``"5 min ago"``, ``"2 h ago"``."""
    if seconds is None:
        return "never"
    if seconds < 90:
        return f"{max(0, int(seconds))} s ago"
    if seconds < 5400:
        return f"{int(seconds // 60)} min ago"
    return f"{int(seconds // 3600)} h ago"


async def sync_bar(site: Site) -> SyncBar:
    """The sync state of the node in words."""
    s = await site.status()
    refused = [
        (
            await _refused_what(site, q.command, q.doc_type, q.doc_id),
            *refusal_words(q.code, q.message),
        )
        for q in s.quarantined
    ]
    refused += [
        (f"{kind} of a delivery", reason, FILE_ADVICE)
        for kind, _, reason in await site.ctx.store.refused_attachments()
    ]
    oldest = "" if s.oldest_unsent_age_s is None else age_text(s.oldest_unsent_age_s)
    return SyncBar(
        online=s.last_sync_ms is not None and not s.last_error,
        waiting=s.waiting,
        oldest=oldest.removesuffix(" ago"),
        last_sync=age_text(s.last_sync_age_s),
        files_waiting=await site.ctx.store.attachments_waiting(),
        refused=refused,
        last_error=s.last_error,
    )


async def _refused_what(site: Site, command: str, doc_type: str, doc_id: str) -> str:
    """``"Delivery of PS-..."``: the refused command and the parcel's number when held."""
    label = command_label(command, doc_type)
    view = await shipment_by_id(site.ctx.store, doc_id) if doc_type == "shipment" else None
    return f"{label} of {view.info.tracking_number}" if view else label


def notify(request: Request[Any, Any, Any], text: str) -> None:
    """Show ``text`` once on the next page of this session."""
    request.set_session({**(request.session or {}), NOTICE: text})


async def page(
    site: Site,
    request: Request[Any, Any, Any],
    name: str,
    status_code: int = 200,
    **context: Any,
) -> Template:
    """Render ``name`` with the sync bar, the courier and the pending notice."""
    session = dict(request.session or {})
    notice = session.pop(NOTICE, "")
    if notice:
        request.set_session(session)
    base = {
        "sync": await sync_bar(site),
        "courier": site.ctx.identity.courier_id,
        "notice": notice,
        "errors": {},
        "form": {},
    }
    return Template(name, context={**base, **context}, status_code=status_code)
