"""Operator maintenance of central's replica file: trimming the update log.

Central logs every accepted update so that devices can catch up from their
cursor; the log only grows. Trimming drops the rows received before a cutoff
and raises the log floor: a device whose cursor is below the floor gets its
documents whole (a snapshot page) instead of the dropped rows, so nothing is
lost, it costs that device more bytes once. Rows the webhook or notification
scanner has not read yet always stay, or the changes they carry would never be
announced.
"""

from __future__ import annotations

import sqlite3
from contextlib import closing
from dataclasses import dataclass
from pathlib import Path

from sync._pg_dialect import is_postgres

from .notifications.store import notices_scanned_up_to
from .store import CentralStore
from .webhooks.store import scanned_up_to

DAY_MS = 86_400_000


def is_central_file(path: str | Path) -> bool:
    """True when ``path`` is a central replica file, or a PostgreSQL URL of central's
    database (opened read-only: a depot's or a handheld's file must not be migrated
    into a central one by mistake)."""
    if is_postgres(path):
        from sync._postgres import has_schema

        return has_schema(str(path), "server")
    try:
        with closing(sqlite3.connect(f"{Path(path).resolve().as_uri()}?mode=ro", uri=True)) as db:
            row = db.execute("SELECT 1 FROM schema_versions WHERE name = 'server'").fetchone()
    except sqlite3.DatabaseError:
        return False
    return row is not None


@dataclass(frozen=True, slots=True)
class LogTrim:
    """What a trim dropped (or, on a dry run, would drop)."""

    up_to_seq: int  # the log floor after it (rows at or below are gone), or would be
    rows: int  # how many rows it dropped
    held_back: bool  # the webhook scanner's cursor kept the cutoff lower


async def trim_log(
    store: CentralStore, keep_ms: int, now_ms: int, *, dry_run: bool = False
) -> LogTrim:
    """Drop the log rows received more than ``keep_ms`` before ``now_ms`` that the
    webhook scanner has read; ``dry_run`` only counts them."""
    if keep_ms < 0:
        raise ValueError(f"keep_ms must be >= 0, got {keep_ms}")
    old_enough = await store.seq_received_before(now_ms - keep_ms)
    scanned = await scanned_up_to(store)
    notified = await notices_scanned_up_to(store)
    if notified is not None:
        scanned = min(scanned, notified)
    cutoff = min(old_enough, scanned)
    floor = await store.log_floor()
    if cutoff <= floor:
        return LogTrim(floor, 0, scanned < old_enough)
    if dry_run:
        rows = await store.log_rows_up_to(cutoff)
    else:
        rows = await store.truncate_log(cutoff)
    return LogTrim(cutoff, rows, scanned < old_enough)
