"""The store implementations the contract suite (``tests/test_store_contract.py``) runs over.

Adding a backend is one entry in :data:`BACKENDS`: a name and an async factory
opening a fresh, empty store under ``tmp_path``. A backend that needs a server
calls ``pytest.skip`` in its factory, with the reason, when none is configured
(PostgreSQL: unless ``PARCELSYNC_TEST_PG`` names a database).
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from pathlib import Path

from sync.ports import SyncStore
from sync.store import ReplicaStore

StoreFactory = Callable[[Path], Awaitable[SyncStore]]


async def _sqlite(tmp_path: Path) -> SyncStore:
    return await ReplicaStore.open(tmp_path / "replica.db")


BACKENDS: dict[str, StoreFactory] = {"sqlite": _sqlite}


async def open_test_store(kind: str, tmp_path: Path) -> SyncStore:
    """A fresh, empty store of backend ``kind`` (a key of :data:`BACKENDS`)."""
    return await BACKENDS[kind](tmp_path)
