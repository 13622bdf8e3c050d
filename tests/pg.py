"""PostgreSQL for tests: a fresh schema per test, skipped with a reason without a server.

``PARCELSYNC_TEST_PG`` names the database (e.g. ``postgresql://postgres@127.0.0.1/test``;
``.ci/run`` sets it). Each :func:`pg_url` is a schema of its own in that database,
reached through ``search_path``, so tests never see each other's rows; the
schemas a test process made are dropped when it exits.
"""

from __future__ import annotations

import atexit
import os
import uuid
from pathlib import Path
from urllib.parse import quote

import psycopg
import pytest

from sync.store import ReplicaStore

PG_ENV = "PARCELSYNC_TEST_PG"
NO_PG = f"PostgreSQL tests skipped: set {PG_ENV} to a database URL (.ci/run does)"
needs_pg = pytest.mark.skipif(not os.environ.get(PG_ENV), reason=NO_PG)
# every store backend: the contract suite (tests/test_store_contract.py) runs over each
STORE_KINDS = ("sqlite", pytest.param("postgres", marks=needs_pg))


def pg_url(label: str = "t") -> str:
    """A URL of a new, empty schema in ``$PARCELSYNC_TEST_PG`` (skips the test without it)."""
    base = os.environ.get(PG_ENV)
    if not base:
        pytest.skip(NO_PG)
    schema = f"{label}_{uuid.uuid4().hex[:12]}"
    with psycopg.connect(base, autocommit=True) as conn:
        conn.execute(f'CREATE SCHEMA "{schema}"')
    if not _made:
        atexit.register(_drop_made, base)
    _made.append(schema)
    joiner = "&" if "?" in base else "?"
    return f"{base}{joiner}options={quote(f'-csearch_path={schema}')}"


_made: list[str] = []  # schemas this test process made, dropped when it ends


def _drop_made(base: str) -> None:
    with psycopg.connect(base, autocommit=True) as conn:
        for schema in _made:
            conn.execute(f'DROP SCHEMA IF EXISTS "{schema}" CASCADE')


def store_path(kind: str, tmp_path: Path, name: str = "c") -> str:
    """Where a store of ``kind`` ('sqlite' or 'postgres') lives for one test."""
    if kind == "sqlite":
        return str(tmp_path / f"{name}.db")
    if kind == "postgres":
        return pg_url(name)
    raise ValueError(f"unknown store kind {kind!r}")


async def open_test_store(kind: str, tmp_path: Path) -> ReplicaStore:
    """A fresh :class:`ReplicaStore` of ``kind``: a file under ``tmp_path``, or a new schema."""
    return await ReplicaStore.open(store_path(kind, tmp_path))
