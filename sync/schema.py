"""The replica file's schema, versioned with ``PRAGMA user_version``.

Each entry of :data:`MIGRATIONS` moves the schema one version forward; a file
newer than this code is refused rather than guessed at.
"""

from __future__ import annotations

from ._tails import TAIL_DDL
from .projection import PROJECTION_DDL

CORE_DDL = """
CREATE TABLE meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE documents (
    doc_id TEXT PRIMARY KEY, doc_type TEXT NOT NULL,
    depot_id TEXT NOT NULL DEFAULT '', courier_id TEXT NOT NULL DEFAULT '',
    merchant_id TEXT NOT NULL DEFAULT '',
    state BLOB NOT NULL, state_vector BLOB NOT NULL, updated_seq INTEGER NOT NULL DEFAULT 0);
CREATE INDEX documents_depot ON documents(depot_id);
CREATE INDEX documents_courier ON documents(courier_id);
CREATE INDEX documents_merchant ON documents(merchant_id);
CREATE TABLE update_log (
    seq INTEGER PRIMARY KEY AUTOINCREMENT, doc_id TEXT NOT NULL, doc_type TEXT NOT NULL,
    kind TEXT NOT NULL CHECK (kind IN ('update', 'enter', 'leave')),
    depot_id TEXT NOT NULL, courier_id TEXT NOT NULL, merchant_id TEXT NOT NULL,
    update_blob BLOB, origin_device TEXT NOT NULL, received_at INTEGER NOT NULL);
CREATE INDEX log_depot ON update_log(depot_id, seq);
CREATE INDEX log_courier ON update_log(courier_id, seq);
CREATE INDEX log_merchant ON update_log(merchant_id, seq);
CREATE INDEX log_doc ON update_log(doc_id, seq);
CREATE TABLE outbox (
    id INTEGER PRIMARY KEY AUTOINCREMENT, doc_id TEXT NOT NULL, doc_type TEXT NOT NULL,
    update_blob BLOB NOT NULL, command BLOB NOT NULL, origin_device TEXT,
    created_at INTEGER NOT NULL, held INTEGER NOT NULL DEFAULT 0);
CREATE INDEX outbox_doc ON outbox(doc_id);
CREATE TABLE quarantine (
    id INTEGER PRIMARY KEY, doc_id TEXT NOT NULL, doc_type TEXT NOT NULL,
    update_blob BLOB NOT NULL, command BLOB NOT NULL, origin_device TEXT,
    code TEXT NOT NULL, message TEXT NOT NULL, created_at INTEGER NOT NULL);
CREATE TABLE cursors (
    upstream TEXT PRIMARY KEY, cursor INTEGER NOT NULL, synced_at INTEGER NOT NULL);
CREATE TABLE resync (doc_id TEXT PRIMARY KEY);
CREATE TABLE evictions (doc_id TEXT PRIMARY KEY);
CREATE TABLE devices (
    device_id TEXT PRIMARY KEY, role TEXT NOT NULL, depot_id TEXT, courier_id TEXT,
    merchant_id TEXT, token_sha256 TEXT UNIQUE, label TEXT NOT NULL DEFAULT '',
    created_at INTEGER NOT NULL, revoked_at INTEGER, last_seen_at INTEGER);
CREATE TABLE schema_versions (name TEXT PRIMARY KEY, version INTEGER NOT NULL);
"""

# v2: documents the devices below a relay must rebuild (with notices of their refused
# updates), and, on a client, how far it applied its upstream's such resets.
DEVICE_RESETS_DDL = """
CREATE TABLE device_resets (
    id INTEGER PRIMARY KEY AUTOINCREMENT, device_id TEXT NOT NULL, doc_id TEXT NOT NULL,
    doc_type TEXT NOT NULL, code TEXT NOT NULL, message TEXT NOT NULL, update_blob BLOB,
    created_at INTEGER NOT NULL);
CREATE INDEX device_resets_device ON device_resets(device_id, id);
CREATE TABLE reset_acks (upstream TEXT PRIMARY KEY, acked INTEGER NOT NULL);
"""

# v3: scope indexes that also order by doc id, so a snapshot page is a range read
# (no sort of every document in scope); they serve the scope lookups the v1 ones did.
SCOPE_DOC_INDEXES_DDL = """
CREATE INDEX documents_depot_doc ON documents(depot_id, doc_id);
CREATE INDEX documents_courier_doc ON documents(courier_id, doc_id);
CREATE INDEX documents_merchant_doc ON documents(merchant_id, doc_id);
DROP INDEX documents_depot;
DROP INDEX documents_courier;
DROP INDEX documents_merchant;
"""

# v4: every replica file gets a random id, and a client keeps with its cursor the id
# of the upstream file it came from: a cursor (and reset acknowledgement) of another
# file, e.g. a depot replaced by new hardware, is not trusted.
REPLICA_ID_DDL = """
INSERT OR IGNORE INTO meta VALUES ('replica.id', lower(hex(randomblob(16))));
ALTER TABLE cursors ADD COLUMN replica TEXT NOT NULL DEFAULT '';
"""

# v5: stock per state (available, quarantined, disposed, returned to the merchant); the
# rows of the files before it are all available units, as p_stock holds them.
STOCK_STATES_DDL = """
CREATE TABLE IF NOT EXISTS p_stock_states (
    doc_id TEXT, depot_id TEXT, sku TEXT, state TEXT, quantity INTEGER,
    PRIMARY KEY (doc_id, depot_id, sku, state));
INSERT OR IGNORE INTO p_stock_states
    SELECT doc_id, depot_id, sku, 'available', quantity FROM p_stock;
"""

MIGRATIONS: tuple[str, ...] = (
    CORE_DDL + PROJECTION_DDL,
    DEVICE_RESETS_DDL,
    SCOPE_DOC_INDEXES_DDL,
    REPLICA_ID_DDL,
    STOCK_STATES_DDL,
    # v6: updates appended beside a large document's state (see sync._tails)
    TAIL_DDL,
)

SCHEMA_VERSION = len(MIGRATIONS)
