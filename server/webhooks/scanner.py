"""Turn new log rows into queued webhook deliveries, durably and exactly once.

The scanner keeps its own cursor over the update log. In ONE transaction it
reads the projections of documents changed since that cursor, compares each
shipment's status with the last one announced, finds new return gradings,
returns received and graded (a refund approval, once per return) and COD
remittances, queues one delivery per registered webhook, and moves the cursor.
A crash anywhere leaves the cursor behind, so the next scan redoes it.
"""

from __future__ import annotations

import json
from typing import Any

import aiosqlite
import msgspec

from protocol.ids import new_id
from protocol.returns import recommend_refund
from sync.store import ReplicaStore

from ..merchant_api._return_doc import folded_return, refund_out
from .schemas import Envelope
from .store import (
    gradings,
    hooks_by_merchant,
    queue_deliveries,
    refund_approvals,
    remittances,
    scan_cursor,
    status_changes,
)

REFUND_APPROVAL = "return.refund_approval"


def _refund_approval(return_id: str, order_ref: str | None, state: bytes) -> dict[str, Any]:
    """The ``return.refund_approval`` facts: the recommendation the merchant approves."""
    info, folded = folded_return(state)
    recommendation = recommend_refund(info, folded)
    assert recommendation is not None, "queried only once graded"
    data: dict[str, Any] = msgspec.to_builtins(refund_out(recommendation))
    ids = {"return_id": return_id, "shipment_id": info.shipment_id, "order_ref": order_ref or ""}
    return ids | data


async def _return_events(
    db: aiosqlite.Connection,
    span: tuple[str],
    events: list[tuple[str, str, dict[str, Any]]],
    seen: list[tuple[str]],
) -> None:
    """Append ``return.graded`` and ``return.refund_approval`` events, each once per return."""
    for doc_id, merchant, shipment_id, items in await gradings(db, span):
        data = {"return_id": doc_id, "shipment_id": shipment_id}
        events.append((merchant, "return.graded", data | {"items": msgspec.json.decode(items)}))
        seen.append((f"graded:{doc_id}",))
    for doc_id, merchant, order_ref, state in await refund_approvals(db, span):
        events.append((merchant, REFUND_APPROVAL, _refund_approval(doc_id, order_ref, state)))
        seen.append((f"refund:{doc_id}",))


def _envelope(event: str, data: dict[str, Any], now_ms: int) -> bytes:
    return msgspec.json.encode(Envelope(new_id(), event, now_ms, data))


async def scan(store: ReplicaStore, now_ms: int) -> int:
    """Queue deliveries for changes since the last scan; returns how many were queued."""
    async with store.transaction() as db:
        cursor = await scan_cursor(db)
        head = await store.head_in(db)
        if head <= cursor:
            return 0
        span = (json.dumps(await store.logged_in(db, cursor, head)),)
        events: list[tuple[str, str, dict[str, Any]]] = []  # (merchant, event, data)
        changes = await status_changes(db, span)
        for doc_id, merchant, tn, ref, status, before in changes:
            data = {"shipment_id": doc_id, "tracking_number": tn, "order_ref": ref}
            events.append(
                (
                    merchant,
                    "shipment.status_changed",
                    data | {"status": status, "previous_status": before},
                )
            )
        seen: list[tuple[str]] = []
        await _return_events(db, span, events, seen)
        for doc_id, event_id, payload in await remittances(db, span):
            data = {"cash_book_id": doc_id, "event_id": event_id} | msgspec.json.decode(payload)
            events.append((str(data.get("merchant_id", "")), "cod.remitted", data))
            seen.append((f"remitted:{event_id}",))
        hooks = await hooks_by_merchant(db)
        queued = [
            (hook, kind, _envelope(kind, data, now_ms), now_ms, now_ms)
            for merchant, kind, data in events
            for hook in hooks.get(merchant, [])
        ]
        await queue_deliveries(db, queued, [(c[0], c[4]) for c in changes], seen, head)
    return len(queued)
