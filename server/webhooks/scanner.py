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
from collections.abc import Sequence
from typing import Any

import aiosqlite
import msgspec

from protocol.ids import new_id
from protocol.returns import recommend_refund
from sync._sqlite import run_in_one_trip
from sync.store import ReplicaStore

from ..merchant_api._return_doc import folded_return, refund_out
from .schemas import Envelope

REFUND_APPROVAL = "return.refund_approval"

_CHANGED = "doc_id IN (SELECT value FROM json_each(?))"  # the ids of the span scanned
_SCANNED = "SELECT coalesce(max(value), 0) FROM webhook_scan"


async def _rows(db: aiosqlite.Connection, sql: str, params: Sequence[Any] = ()) -> list[Any]:
    return list(await db.execute_fetchall(sql, params))


async def _status_changes(db: aiosqlite.Connection, span: tuple[str]) -> list[Any]:
    return await _rows(
        db,
        "SELECT s.doc_id, s.merchant_id, s.tracking_number, s.order_ref, s.status, w.status "
        "FROM p_shipments s LEFT JOIN webhook_status w ON w.doc_id = s.doc_id "
        f"WHERE s.{_CHANGED} AND (w.status IS NULL OR w.status != s.status)",
        span,
    )


async def _gradings(db: aiosqlite.Connection, span: tuple[str]) -> list[Any]:
    return await _rows(
        db,
        "SELECT r.doc_id, r.merchant_id, r.shipment_id, json_group_array(json_object("
        "'sku', i.sku, 'grade', i.grade, 'disposition', i.disposition, 'quantity', i.quantity)) "
        "FROM p_returns r JOIN p_return_items i ON i.doc_id = r.doc_id "
        f"WHERE r.{_CHANGED} AND 'graded:' || r.doc_id NOT IN (SELECT key FROM webhook_seen) "
        "GROUP BY r.doc_id",
        span,
    )


async def _remittances(db: aiosqlite.Connection, span: tuple[str]) -> list[Any]:
    return await _rows(
        db,
        "SELECT doc_id, event_id, payload FROM p_events WHERE doc_type = 'cashbook' "
        f"AND type = 'remitted' AND {_CHANGED} "
        "AND 'remitted:' || event_id NOT IN (SELECT key FROM webhook_seen)",
        span,
    )


async def _refund_approvals(db: aiosqlite.Connection, span: tuple[str]) -> list[Any]:
    """Returns received and graded, not yet announced, with their document state."""
    rows = await _rows(
        db,
        "SELECT r.doc_id, r.merchant_id, s.order_ref FROM p_returns r "
        "LEFT JOIN p_shipments s ON s.doc_id = r.shipment_id "
        f"WHERE r.{_CHANGED} "
        "AND EXISTS (SELECT 1 FROM p_return_items i WHERE i.doc_id = r.doc_id) "
        "AND EXISTS (SELECT 1 FROM p_events e WHERE e.doc_id = r.doc_id AND e.type = 'received') "
        "AND 'refund:' || r.doc_id NOT IN (SELECT key FROM webhook_seen)",
        span,
    )
    states = await ReplicaStore.states_in(db, [r[0] for r in rows])
    return [(*r, states[r[0]]) for r in rows]


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
    for doc_id, merchant, shipment_id, items in await _gradings(db, span):
        data = {"return_id": doc_id, "shipment_id": shipment_id}
        events.append((merchant, "return.graded", data | {"items": msgspec.json.decode(items)}))
        seen.append((f"graded:{doc_id}",))
    for doc_id, merchant, order_ref, state in await _refund_approvals(db, span):
        events.append((merchant, REFUND_APPROVAL, _refund_approval(doc_id, order_ref, state)))
        seen.append((f"refund:{doc_id}",))


async def scanned_up_to(store: ReplicaStore) -> int:
    """The log sequence the scanner has read up to: rows above it are still to scan
    (and must stay in the log until it has)."""
    (row,) = await store.query(_SCANNED)
    return int(row[0])


def _envelope(event: str, data: dict[str, Any], now_ms: int) -> bytes:
    return msgspec.json.encode(Envelope(new_id(), event, now_ms, data))


async def scan(store: ReplicaStore, now_ms: int) -> int:
    """Queue deliveries for changes since the last scan; returns how many were queued."""
    async with store.transaction() as db:
        (cursor,) = (await _rows(db, _SCANNED))[0]
        head = await store.head_in(db)
        if head <= cursor:
            return 0
        span = (json.dumps(await store.logged_in(db, cursor, head)),)
        events: list[tuple[str, str, dict[str, Any]]] = []  # (merchant, event, data)
        changes = await _status_changes(db, span)
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
        for doc_id, event_id, payload in await _remittances(db, span):
            data = {"cash_book_id": doc_id, "event_id": event_id} | msgspec.json.decode(payload)
            events.append((str(data.get("merchant_id", "")), "cod.remitted", data))
            seen.append((f"remitted:{event_id}",))
        hooks: dict[str, list[str]] = {}
        for hook_id, merchant in await _rows(
            db, "SELECT webhook_id, merchant_id FROM webhooks WHERE disabled_at IS NULL"
        ):
            hooks.setdefault(merchant, []).append(hook_id)
        queued = [
            (hook, kind, _envelope(kind, data, now_ms), now_ms, now_ms)
            for merchant, kind, data in events
            for hook in hooks.get(merchant, [])
        ]
        await run_in_one_trip(
            db,
            [
                (
                    "INSERT INTO webhook_queue (webhook_id, event, body, next_at, created_at) "
                    "VALUES (?,?,?,?,?)",
                    queued,
                ),
                (
                    "INSERT OR REPLACE INTO webhook_status VALUES (?, ?)",
                    [(c[0], c[4]) for c in changes],
                ),
                ("INSERT OR IGNORE INTO webhook_seen VALUES (?)", seen),
                ("INSERT OR REPLACE INTO webhook_scan VALUES ('log_seq', ?)", [(head,)]),
            ],
        )
    return len(queued)
