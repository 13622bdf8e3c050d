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

# v4: tracking numbers are issued once; when central received each event (what a
# recipient is shown, never the writer's HLC).
SERVER_DDL_V4 = """
CREATE UNIQUE INDEX merchant_orders_tracking ON merchant_orders(tracking_number);
CREATE TABLE event_receipts (
    doc_id TEXT NOT NULL, event_id TEXT NOT NULL, received_at INTEGER NOT NULL,
    PRIMARY KEY (doc_id, event_id)) WITHOUT ROWID;
"""


class CentralStore(ReplicaStore):
    """The central node's replica file (``await CentralStore.open(path)``)."""

    extra_schemas = {"server": (SERVER_DDL_V1, SERVER_DDL_V2, SERVER_DDL_V3, SERVER_DDL_V4)}

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
