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

from dataclasses import dataclass
from typing import Any

import msgspec

from protocol.alerts import DeviceSeen
from protocol.events import CashEvent, Event, ReturnEvent, ShipmentEvent
from protocol.info import CashBookInfo, ReturnInfo, ShipmentInfo
from protocol.ledger import CashBookRecord, ReturnRecord, ShipmentRecord
from protocol.statement import FeeTerms
from sync.device_health import decode_record, last_heard
from sync.store import ReplicaStore

from .store import (
    SHIPMENT_COLUMNS,
    audit_rows,
    courier_limits,
    merchant_terms,
    party_names,
    shipment_rows,
    snapshot_rows,
)

_DECODERS: dict[str, msgspec.json.Decoder[Any]] = {
    "shipment": msgspec.json.Decoder(ShipmentEvent),
    "return": msgspec.json.Decoder(ReturnEvent),
    "cashbook": msgspec.json.Decoder(CashEvent),
}


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


def _events(raw: list[tuple[str, str]], doc_type: str) -> dict[str, list[Event]]:
    """Each document's events in fold order, decoded by the folds' typed unions."""
    decoder = _DECODERS[doc_type]
    events: dict[str, list[Event]] = {}
    for doc_id, event in raw:
        events.setdefault(doc_id, []).append(decoder.decode(event))
    return events


def _shipment(row: Any, events: dict[str, list[Event]]) -> ShipmentRecord:
    fields = {k: v for k, v in zip(SHIPMENT_COLUMNS, row[1:], strict=True) if v is not None}
    info = ShipmentInfo(**fields)
    return ShipmentRecord(row[0], info, tuple(events.get(row[0], ())))


async def load_snapshot(store: ReplicaStore, since: int | None = None) -> Snapshot:
    """Every shipment, cash book and return of ``store`` in one consistent read.

    With ``since``, only the documents written after that log sequence (see
    the module docstring); ``Snapshot.changed`` then names them.
    """
    rows = await snapshot_rows(store, since)
    shipment_events = _events(rows.events["shipment"], "shipment")
    shipments = [_shipment(r, shipment_events) for r in rows.shipments]
    book_events = _events(rows.events["cashbook"], "cashbook")
    books = [
        CashBookRecord(
            r[0],
            CashBookInfo(owner_kind=r[1], owner_id=r[2], day=r[3], currency=r[4], depot_id=r[5]),
            tuple(book_events.get(r[0], ())),
        )
        for r in rows.books
    ]
    return_events = _events(rows.events["return"], "return")
    returns = [
        ReturnRecord(
            r[0],
            ReturnInfo(shipment_id=r[1], merchant_id=r[2], currency=r[3], depot_id=r[4]),
            tuple(return_events.get(r[0], ())),
        )
        for r in rows.returns
    ]
    changed = None if rows.changed is None else frozenset(rows.changed)
    return Snapshot(rows.head, shipments, books, returns, changed)


async def load_shipment(store: ReplicaStore, doc_id: str) -> ShipmentRecord | None:
    """One shipment's record with its events in fold order (None: no such shipment)."""
    rows, events = await shipment_rows(store, doc_id)
    return _shipment(rows[0], _events(events, "shipment")) if rows else None


async def load_terms(store: ReplicaStore) -> dict[str, FeeTerms]:
    """Fee terms per merchant as head office set them."""
    return {m: FeeTerms(bp, fixed) for m, bp, fixed in await merchant_terms(store)}


async def load_limits(store: ReplicaStore) -> dict[str, int]:
    """Cash-in-hand limit per courier as head office set them."""
    return await courier_limits(store)


async def load_devices(store: ReplicaStore) -> list[DeviceSeen]:
    """Enrolled, unrevoked devices: last seen here or at their depot, latest health.

    Quarantined items are those the device reported plus any held here for it.
    """
    devices = []
    for device_id, role, depot, courier, seen, raw, held in await store.device_overview():
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
    for kind, party_id, name in await party_names(store):
        names.setdefault(kind, {})[party_id] = name
    labels = {device.id: label for device, label, _, _ in await store.devices() if label}
    if labels:
        names.setdefault("device", {}).update(labels)
    return names


async def load_audit(store: ReplicaStore) -> list[tuple[int, int, str, str, str, str, str]]:
    """Every office audit entry, oldest first: ``(id, at, actor, action, subject, detail,
    reason)``."""
    return await audit_rows(store)
