"""Central's replica file: the core store plus the server's own tables.

The server tables live in the same SQLite file, versioned on their own under
the ``server`` name (``schema_versions``), so a core migration and a server
migration never collide.
"""

from __future__ import annotations

from collections.abc import Collection, Sequence

from sync._records import DocWrite, now_ms
from sync._sqlite import Step
from sync.store import ReplicaStore

from .followups.store import FOLLOWUPS_SCHEMA

SERVER_DDL_V1 = """
CREATE TABLE merchant_orders (
    merchant_id TEXT NOT NULL, order_ref TEXT NOT NULL, shipment_id TEXT NOT NULL,
    tracking_number TEXT NOT NULL, created_at INTEGER NOT NULL,
    PRIMARY KEY (merchant_id, order_ref));
CREATE TABLE counters (name TEXT PRIMARY KEY, value INTEGER NOT NULL);
CREATE TABLE webhooks (
    webhook_id TEXT PRIMARY KEY, merchant_id TEXT NOT NULL, url TEXT NOT NULL,
    secret TEXT NOT NULL, created_at INTEGER NOT NULL, disabled_at INTEGER);
CREATE INDEX webhooks_merchant ON webhooks(merchant_id);
CREATE TABLE webhook_queue (
    id INTEGER PRIMARY KEY AUTOINCREMENT, webhook_id TEXT NOT NULL, event TEXT NOT NULL,
    body BLOB NOT NULL, attempts INTEGER NOT NULL DEFAULT 0, next_at INTEGER NOT NULL,
    delivered_at INTEGER, failed_at INTEGER, last_error TEXT NOT NULL DEFAULT '',
    created_at INTEGER NOT NULL);
CREATE INDEX webhook_queue_due ON webhook_queue(delivered_at, failed_at, next_at);
CREATE TABLE webhook_scan (key TEXT PRIMARY KEY, value INTEGER NOT NULL);
CREATE TABLE webhook_status (doc_id TEXT PRIMARY KEY, status TEXT NOT NULL);
CREATE TABLE webhook_seen (key TEXT PRIMARY KEY);
"""

SERVER_DDL_V2 = """
CREATE TABLE merchant_terms (
    merchant_id TEXT PRIMARY KEY, fee_percent_bp INTEGER NOT NULL,
    fee_fixed_minor INTEGER NOT NULL, updated_at INTEGER NOT NULL, updated_by TEXT NOT NULL);
CREATE TABLE courier_limits (
    courier_id TEXT PRIMARY KEY, cash_limit_minor INTEGER NOT NULL,
    updated_at INTEGER NOT NULL, updated_by TEXT NOT NULL);
"""

SERVER_DDL_V3 = """
CREATE TABLE merchant_names (
    merchant_id TEXT PRIMARY KEY, name TEXT NOT NULL,
    updated_at INTEGER NOT NULL, updated_by TEXT NOT NULL);
"""

SERVER_DDL_V4 = """
CREATE TABLE office_sessions (
    session_id TEXT PRIMARY KEY, device_id TEXT NOT NULL, started_at INTEGER NOT NULL);
CREATE TABLE pin_checks (
    event_id TEXT PRIMARY KEY, doc_id TEXT NOT NULL, ok INTEGER NOT NULL,
    checked_at INTEGER NOT NULL);
"""


# v5: tracking numbers are issued once; when central received each event (what a
# recipient is shown, never the writer's HLC). Events stored before get their
# document's first receive time still in the log (the best central knows).
SERVER_DDL_V5 = """
CREATE UNIQUE INDEX merchant_orders_tracking ON merchant_orders(tracking_number);
CREATE TABLE event_receipts (
    doc_id TEXT NOT NULL, event_id TEXT NOT NULL, received_at INTEGER NOT NULL,
    PRIMARY KEY (doc_id, event_id)) WITHOUT ROWID;
INSERT OR IGNORE INTO event_receipts
    SELECT e.doc_id, e.event_id, min(l.received_at) FROM p_events e
    JOIN update_log l ON l.doc_id = e.doc_id GROUP BY e.doc_id, e.event_id;
"""


# v6: recipient notifications, queued once per event and channel.
SERVER_DDL_V6 = """
CREATE TABLE notification_queue (
    id INTEGER PRIMARY KEY AUTOINCREMENT, key TEXT NOT NULL UNIQUE, channel TEXT NOT NULL,
    recipient TEXT NOT NULL, shipment_id TEXT NOT NULL, kind TEXT NOT NULL,
    subject TEXT NOT NULL, body TEXT NOT NULL, attempts INTEGER NOT NULL DEFAULT 0,
    next_at INTEGER NOT NULL, sent_at INTEGER, failed_at INTEGER,
    last_error TEXT NOT NULL DEFAULT '', created_at INTEGER NOT NULL);
CREATE INDEX notification_queue_due ON notification_queue(sent_at, failed_at, next_at);
CREATE TABLE notification_scan (key TEXT PRIMARY KEY, value INTEGER NOT NULL);
"""


# v7: head office's audit log (append-only: triggers refuse any change or removal) and
# the names people read for couriers, depots and devices (merchants keep merchant_names).
SERVER_DDL_V7 = """
CREATE TABLE office_audit (
    id INTEGER PRIMARY KEY AUTOINCREMENT, at INTEGER NOT NULL, actor TEXT NOT NULL,
    action TEXT NOT NULL, subject TEXT NOT NULL, detail TEXT NOT NULL, reason TEXT NOT NULL);
CREATE TRIGGER office_audit_no_update BEFORE UPDATE ON office_audit
    BEGIN SELECT RAISE(ABORT, 'the office audit log is append-only'); END;
CREATE TRIGGER office_audit_no_delete BEFORE DELETE ON office_audit
    BEGIN SELECT RAISE(ABORT, 'the office audit log is append-only'); END;
CREATE TABLE party_names (
    kind TEXT NOT NULL, id TEXT NOT NULL, name TEXT NOT NULL, updated_at INTEGER NOT NULL,
    PRIMARY KEY (kind, id)) WITHOUT ROWID;
"""


class CentralStore(ReplicaStore):
    """The central node's replica file (``await CentralStore.open(path)``)."""

    extra_schemas = {
        "server": (
            SERVER_DDL_V1,
            SERVER_DDL_V2,
            SERVER_DDL_V3,
            SERVER_DDL_V4,
            SERVER_DDL_V5,
            SERVER_DDL_V6,
            SERVER_DDL_V7,
        ),
        "followups": FOLLOWUPS_SCHEMA,
    }

    async def unchecked_deliveries(self, after: int, head: int) -> list[tuple[str, str, str]]:
        """``(doc_id, event_id, payload json)`` of the delivered events of the shipments
        logged in ``(after, head]`` whose PIN was not checked yet."""
        rows = await self.query(
            "SELECT e.doc_id, e.event_id, e.payload FROM p_events e "
            "WHERE e.type = 'delivered' AND e.doc_type = 'shipment' AND e.doc_id IN "
            "(SELECT doc_id FROM update_log WHERE seq > ? AND seq <= ?) "
            "AND e.event_id NOT IN (SELECT event_id FROM pin_checks)",
            (after, head),
        )
        return [(str(d), str(e), str(p)) for d, e, p in rows]

    async def record_pin_checks(
        self, checked: list[tuple[str, str, int]], head: int, cursor_key: str
    ) -> None:
        """Remember ``(event_id, doc_id, ok)`` checks and move the checker's cursor to ``head``."""
        async with self.transaction() as db:
            await db.executemany(
                "INSERT OR IGNORE INTO pin_checks VALUES (?, ?, ?, ?)",
                [(e, d, ok, now_ms()) for e, d, ok in checked],
            )
            await db.execute("INSERT OR REPLACE INTO meta VALUES (?, ?)", (cursor_key, str(head)))

    async def start_office_session(self, session_id: str, device_id: str, expired: int) -> None:
        """Record a signed-in office session (and forget those started before ``expired``)."""
        async with self.transaction() as db:
            await db.execute("DELETE FROM office_sessions WHERE started_at < ?", (expired,))
            await db.execute(
                "INSERT INTO office_sessions VALUES (?, ?, ?)", (session_id, device_id, now_ms())
            )

    async def office_session_device(self, session_id: str, expired: int) -> str | None:
        """The device signed in on ``session_id``; None once it ended or before ``expired``."""
        rows = await self.query(
            "SELECT device_id FROM office_sessions WHERE session_id = ? AND started_at >= ?",
            (session_id, expired),
        )
        return str(rows[0][0]) if rows else None

    async def end_office_session(self, session_id: str) -> None:
        """Sign ``session_id`` out: its cookie, copied or not, no longer works."""
        async with self.transaction() as db:
            await db.execute("DELETE FROM office_sessions WHERE session_id = ?", (session_id,))

    def write_steps(self, docs: Sequence[DocWrite]) -> list[Step]:
        """Record when each new event arrived (the first time only)."""
        now = now_ms()
        rows = [(r[0], r[1], now) for d in docs for r in d.projection.rows.get("p_events", ())]
        return [("INSERT OR IGNORE INTO event_receipts VALUES (?, ?, ?)", rows)]

    async def receipts(self, doc_id: str) -> dict[str, int]:
        """Event id -> when central received it (ms), for one document."""
        rows = await self.query(
            "SELECT event_id, received_at FROM event_receipts WHERE doc_id = ?", (doc_id,)
        )
        return {str(r[0]): int(r[1]) for r in rows}

    async def tracking_holders(self, numbers: Collection[str]) -> dict[str, frozenset[str]]:
        """Tracking number -> the shipments it was issued to or is held by."""
        found: dict[str, set[str]] = {}
        wanted = sorted(numbers)
        for start in range(0, len(wanted), 400):
            chunk = wanted[start : start + 400]
            marks = ",".join("?" * len(chunk))
            rows = await self.query(
                f"SELECT tracking_number, shipment_id FROM merchant_orders "
                f"WHERE tracking_number IN ({marks}) UNION SELECT tracking_number, doc_id "
                f"FROM p_shipments WHERE tracking_number IN ({marks})",
                (*chunk, *chunk),
            )
            for number, doc_id in rows:
                found.setdefault(number, set()).add(doc_id)
        return {n: frozenset(d) for n, d in found.items()}

    async def append_audit(
        self, at: int, actor: str, action: str, subject: str, detail: str, reason: str = ""
    ) -> None:
        """Append one office action to the audit log (it is never changed or removed)."""
        async with self.transaction() as db:
            await db.execute(
                "INSERT INTO office_audit (at, actor, action, subject, detail, reason) "
                "VALUES (?, ?, ?, ?, ?, ?)",
                (at, actor, action, subject, detail, reason),
            )

    async def set_party_name(self, kind: str, party_id: str, name: str) -> None:
        """Name a courier, depot or device for people (``""`` forgets the name)."""
        async with self.transaction() as db:
            if name:
                await db.execute(
                    "INSERT OR REPLACE INTO party_names VALUES (?, ?, ?, ?)",
                    (kind, party_id, name, now_ms()),
                )
            else:
                await db.execute(
                    "DELETE FROM party_names WHERE kind = ? AND id = ?", (kind, party_id)
                )
