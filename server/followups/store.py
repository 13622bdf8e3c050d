"""The follow-ups' own table on central: attempts before the automatic return, per merchant.

Versioned on its own (``followups`` in ``schema_versions``), beside the server's tables.
"""

from __future__ import annotations

from sync.store import ReplicaStore

FOLLOWUPS_DDL_V1 = """
CREATE TABLE merchant_attempts (
    merchant_id TEXT PRIMARY KEY, max_attempts INTEGER NOT NULL,
    updated_at INTEGER NOT NULL, updated_by TEXT NOT NULL);
"""
FOLLOWUPS_SCHEMA = (FOLLOWUPS_DDL_V1,)


async def set_max_attempts(
    store: ReplicaStore, merchant_id: str, attempts: int, now_ms: int, actor: str
) -> None:
    """Set (or replace) a merchant's attempts before the automatic return."""
    async with store.transaction() as db:
        await db.execute(
            "INSERT OR REPLACE INTO merchant_attempts VALUES (?, ?, ?, ?)",
            (merchant_id, attempts, now_ms, actor),
        )


async def max_attempts(store: ReplicaStore, merchant_id: str) -> int:
    """A merchant's attempts before the automatic return; 0 when it kept the default."""
    rows = await store.query(
        "SELECT max_attempts FROM merchant_attempts WHERE merchant_id = ?", (merchant_id,)
    )
    return int(rows[0][0]) if rows else 0
