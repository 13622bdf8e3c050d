"""Read the synced documents back as plain records for :func:`protocol.reconcile.reconcile`.

Everything comes from the projections in ONE read snapshot: info fields from
``p_shipments`` / ``p_cash_books`` / ``p_returns`` and every event from
``p_events`` (its payload JSON decoded by the same typed event unions the
folds use). No ``Doc`` is loaded: at 1,000 documents this takes a few
milliseconds, and the office service caches the result per update-log head.

``load_snapshot(store, since=seq)`` reads only the documents written after
log sequence ``seq`` (the doc ids of the update-log rows above it), which is
how the office cache refreshes incrementally. When the log was truncated past
``seq`` (``meta`` key ``log_floor``) those ids are unknown, and it reads
everything, as without ``since``.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

import aiosqlite
import msgspec

from protocol.alerts import DeviceSeen
from protocol.events import CashEvent, Event, ReturnEvent, ShipmentEvent
from protocol.info import CashBookInfo, ReturnInfo, ShipmentInfo
from protocol.ledger import CashBookRecord, ReturnRecord, ShipmentRecord
from protocol.statement import FeeTerms
from sync.device_health import HEALTH_JOIN, decode_record, last_heard
from sync.store import ReplicaStore

_EVENTS = (
    "SELECT doc_id, json_object('id', event_id, 'type', type, 'hlc', hlc, 'device', device, "
    "'actor', actor, 'payload', json(payload)) FROM p_events WHERE doc_type = ?"
)
_DECODERS: dict[str, msgspec.json.Decoder[Any]] = {
    "shipment": msgspec.json.Decoder(ShipmentEvent),
    "return": msgspec.json.Decoder(ReturnEvent),
    "cashbook": msgspec.json.Decoder(CashEvent),
}
_SHIPMENTS = (
    "SELECT doc_id, merchant_id, tracking_number, currency, order_ref, recipient_name, city, "
    "cod_amount, depot_id, courier_id, route_day, route_seq, slot_start, slot_end "
    "FROM p_shipments"
)
_BOOKS = "SELECT doc_id, owner_kind, owner_id, day, currency, depot_id FROM p_cash_books"
_RETURNS = "SELECT doc_id, shipment_id, merchant_id, currency, depot_id FROM p_returns"
_CHANGED = "SELECT DISTINCT doc_id FROM update_log WHERE seq > ? AND seq <= ?"
_FLOOR = "SELECT coalesce(max(CAST(value AS INTEGER)), 0) FROM meta WHERE key = 'log_floor'"
_DEVICES = (
    "SELECT d.device_id, d.role, coalesce(d.depot_id, ''), coalesce(d.courier_id, ''), "
    "d.last_seen_at, m.value, coalesce(q.held, 0) FROM devices d "
    f"{HEALTH_JOIN} "
    "LEFT JOIN (SELECT origin_device, count(*) AS held FROM quarantine "
    "GROUP BY origin_device) q ON q.origin_device = d.device_id "
    "WHERE d.revoked_at IS NULL ORDER BY d.device_id"
)
_ONLY = " doc_id IN (SELECT value FROM json_each(?))"


@dataclass(frozen=True, slots=True)
class Snapshot:
    """Documents as plain records, with the log head they were read at.

    ``changed`` is None when every document was read; otherwise it names
    the documents written since the ``since`` sequence, and the records are
    theirs (a changed id without a record is a document that is gone).
    """

    head: int
    shipments: list[ShipmentRecord]
    books: list[CashBookRecord]
    returns: list[ReturnRecord]
    changed: frozenset[str] | None = None


class _Reader:
    """Reads projection rows on one connection, for every document or only some."""

    def __init__(self, db: aiosqlite.Connection, only: list[str] | None) -> None:
        self.db = db
        self.only = None if only is None else json.dumps(only)

    async def rows(self, sql: str, params: tuple[Any, ...] = (), order: str = "") -> list[Any]:
        if self.only is not None:
            sql += (" AND" if " WHERE " in sql else " WHERE") + _ONLY
            params = (*params, self.only)
        return await _rows(self.db, sql + order, params)

    async def events(self, doc_type: str) -> dict[str, list[Event]]:
        """Each document's events in fold order, whichever documents are read."""
        decoder = _DECODERS[doc_type]
        events: dict[str, list[Event]] = {}
        for doc_id, raw in await self.rows(_EVENTS, (doc_type,), " ORDER BY hlc, event_id"):
            events.setdefault(doc_id, []).append(decoder.decode(raw))
        return events


async def _rows(db: aiosqlite.Connection, sql: str, params: tuple[Any, ...] = ()) -> list[Any]:
    return list(await db.execute_fetchall(sql, params))


def _shipment(row: Any, events: dict[str, list[Event]]) -> ShipmentRecord:
    keys = (
        "merchant_id tracking_number currency order_ref recipient_name city cod_amount "
        "depot_id courier_id route_day route_seq slot_start slot_end"
    ).split()
    fields = {k: v for k, v in zip(keys, row[1:], strict=True) if v is not None}
    info = ShipmentInfo(**fields)
    return ShipmentRecord(row[0], info, tuple(events.get(row[0], ())))


async def _changed_since(db: aiosqlite.Connection, since: int, head: int) -> list[str] | None:
    """Doc ids written after ``since``; None when the log no longer goes back that far."""
    (floor,) = (await _rows(db, _FLOOR))[0]
    if since > head or int(floor) > since:
        return None
    return [r[0] for r in await _rows(db, _CHANGED, (since, head))]


async def load_snapshot(store: ReplicaStore, since: int | None = None) -> Snapshot:
    """Every shipment, cash book and return of ``store`` in one consistent read.

    With ``since``, only the documents written after that log sequence (see
    the module docstring); ``Snapshot.changed`` then names them.
    """
    async with store.reading() as db:
        (head,) = (await _rows(db, "SELECT coalesce(max(seq), 0) FROM update_log"))[0]
        only = None if since is None else await _changed_since(db, since, int(head))
        read = _Reader(db, only)
        shipment_events = await read.events("shipment")
        shipments = [_shipment(r, shipment_events) for r in await read.rows(_SHIPMENTS)]
        book_events = await read.events("cashbook")
        books = [
            CashBookRecord(
                r[0],
                CashBookInfo(
                    owner_kind=r[1], owner_id=r[2], day=r[3], currency=r[4], depot_id=r[5]
                ),
                tuple(book_events.get(r[0], ())),
            )
            for r in await read.rows(_BOOKS)
        ]
        return_events = await read.events("return")
        returns = [
            ReturnRecord(
                r[0],
                ReturnInfo(shipment_id=r[1], merchant_id=r[2], currency=r[3], depot_id=r[4]),
                tuple(return_events.get(r[0], ())),
            )
            for r in await read.rows(_RETURNS)
        ]
    changed = None if only is None else frozenset(only)
    return Snapshot(int(head), shipments, books, returns, changed)


async def load_shipment(store: ReplicaStore, doc_id: str) -> ShipmentRecord | None:
    """One shipment's record with its events in fold order (None: no such shipment)."""
    async with store.reading() as db:
        read = _Reader(db, [doc_id])
        events = await read.events("shipment")
        rows = await read.rows(_SHIPMENTS)
    return _shipment(rows[0], events) if rows else None


async def load_terms(store: ReplicaStore) -> dict[str, FeeTerms]:
    """Fee terms per merchant as head office set them."""
    rows = await store.query(
        "SELECT merchant_id, fee_percent_bp, fee_fixed_minor FROM merchant_terms"
    )
    return {r[0]: FeeTerms(int(r[1]), int(r[2])) for r in rows}


async def load_limits(store: ReplicaStore) -> dict[str, int]:
    """Cash-in-hand limit per courier as head office set them."""
    rows = await store.query("SELECT courier_id, cash_limit_minor FROM courier_limits")
    return {r[0]: int(r[1]) for r in rows}


async def load_devices(store: ReplicaStore) -> list[DeviceSeen]:
    """Enrolled, unrevoked devices: last seen here or at their depot, latest health.

    Quarantined items are those the device reported plus any held here for it.
    """
    devices = []
    for device_id, role, depot, courier, seen, raw, held in await store.query(_DEVICES):
        record = decode_record(raw)
        health = record.health if record else None
        last = last_heard(seen, record) or None
        devices.append(
            DeviceSeen(
                device_id,
                role,
                last,
                int(held) + (health.quarantined if health else 0),
                depot,
                courier,
                health.waiting if health else None,
                health.oldest_unsent_age_s if health else None,
            )
        )
    return devices


async def load_party_names(store: ReplicaStore) -> dict[str, dict[str, str]]:
    """kind -> id -> the name people read: couriers and depots as named at enrolment,
    merchants as head office named them (with the fee terms), devices by their label."""
    names: dict[str, dict[str, str]] = {}
    for kind, party_id, name in await store.query(
        "SELECT kind, id, name FROM party_names UNION ALL "
        "SELECT 'merchant', merchant_id, name FROM merchant_names WHERE name != '' "
        "UNION ALL SELECT 'device', device_id, label FROM devices WHERE label != ''"
    ):
        names.setdefault(str(kind), {})[str(party_id)] = str(name)
    return names


async def load_audit(store: ReplicaStore) -> list[tuple[int, int, str, str, str, str, str]]:
    """Every office audit entry, oldest first: ``(id, at, actor, action, subject, detail,
    reason)``."""
    rows = await store.query(
        "SELECT id, at, actor, action, subject, detail, reason FROM office_audit ORDER BY id"
    )
    return [
        (int(r[0]), int(r[1]), str(r[2]), str(r[3]), str(r[4]), str(r[5]), str(r[6])) for r in rows
    ]
