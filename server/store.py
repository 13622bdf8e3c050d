"""Central's replica file: the core store plus the server's own tables.

The server tables live in the same SQLite file, versioned on their own under
the ``server`` name (``schema_versions``), so a core migration and a server
migration never collide.
"""

from __future__ import annotations

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

SERVER_DDL_V4 = """
CREATE TABLE notification_queue (
    id INTEGER PRIMARY KEY AUTOINCREMENT, key TEXT NOT NULL UNIQUE, channel TEXT NOT NULL,
    recipient TEXT NOT NULL, shipment_id TEXT NOT NULL, kind TEXT NOT NULL,
    subject TEXT NOT NULL, body TEXT NOT NULL, attempts INTEGER NOT NULL DEFAULT 0,
    next_at INTEGER NOT NULL, sent_at INTEGER, failed_at INTEGER,
    last_error TEXT NOT NULL DEFAULT '', created_at INTEGER NOT NULL);
CREATE INDEX notification_queue_due ON notification_queue(sent_at, failed_at, next_at);
CREATE TABLE notification_scan (key TEXT PRIMARY KEY, value INTEGER NOT NULL);
"""


class CentralStore(ReplicaStore):
    """The central node's replica file (``await CentralStore.open(path)``)."""

    extra_schemas = {"server": (SERVER_DDL_V1, SERVER_DDL_V2, SERVER_DDL_V3, SERVER_DDL_V4)}
