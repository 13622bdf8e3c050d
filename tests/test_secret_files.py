"""Replica files are owner-only and carry no secret; secrets live in 0600 files beside them."""

from __future__ import annotations

import os
import sqlite3
import stat
from pathlib import Path

import msgspec

from edge.context import IDENTITY_KEY, Identity, enroll, read_identity, token_file
from edge.store import EdgeStore
from protocol.vocab import Role
from server.store import CentralStore
from sync.secret_file import read_secret

from .browser.world import office_session

pytest_plugins = ["tests.server_fixtures"]

OLD_SECRET = "ab" * 32
TOKEN = "hh-upstream-token-0123456789abcdef"


def mode(path: Path) -> int:
    return stat.S_IMODE(os.stat(path).st_mode)


def every_byte(db: Path) -> bytes:
    """The database and its WAL side files, as a copy or backup would take them."""
    files = [Path(f"{db}{suffix}") for suffix in ("", "-wal", "-shm", "-journal")]
    return b"".join(p.read_bytes() for p in files if p.exists())


def test_central_files_are_owner_only_and_the_session_secret_is_not_in_them(tmp_path: Path):
    from .server_fixtures import start_central, stop_central  # loaded as a plugin first

    db = tmp_path / "central.db"
    server = start_central(db)
    try:
        with office_session(server) as client:
            assert client.get("/office/").status_code == 200
            files = [db, Path(f"{db}-wal"), Path(f"{db}-shm"), Path(f"{db}.secret")]
            assert {p.name: mode(p) for p in files} == {p.name: 0o600 for p in files}
            secret = Path(f"{db}.secret").read_text().strip()
            assert secret.encode() not in every_byte(db)
            assert bytes.fromhex(secret) not in every_byte(db)
    finally:
        stop_central(server)


async def test_a_secret_an_older_version_kept_in_the_db_moves_out(tmp_path: Path):
    from .server_fixtures import start_central, stop_central

    db = tmp_path / "central.db"
    async with await CentralStore.open(db) as store:
        await store.set_meta("office.session_secret", OLD_SECRET)
    os.chmod(db, 0o644)  # as older versions created it
    server = start_central(db)
    try:
        with office_session(server) as client:
            assert client.get("/office/").status_code == 200
    finally:
        stop_central(server)
    assert read_secret(f"{db}.secret") == OLD_SECRET
    assert mode(db) == 0o600
    with sqlite3.connect(db) as conn:
        assert conn.execute("SELECT * FROM meta WHERE key LIKE 'office.%'").fetchall() == []
    assert OLD_SECRET.encode() not in every_byte(db)


async def test_the_edge_upstream_token_lives_in_an_owner_only_file(tmp_path: Path):
    db = tmp_path / "hh.db"
    identity = Identity("hh-1", Role.COURIER, "D1", "C1", "http://central", TOKEN)
    async with await EdgeStore.open(db) as store:
        await enroll(store, identity)
        assert await read_identity(store) == identity
        assert mode(token_file(store)) == 0o600 and mode(db) == 0o600
    assert TOKEN.encode() not in every_byte(db)
    assert token_file_text(db) == TOKEN


async def test_an_edge_token_an_older_version_kept_in_the_replica_moves_out(tmp_path: Path):
    db = tmp_path / "hh.db"
    identity = Identity("hh-1", Role.COURIER, "D1", "C1", "http://central", TOKEN)
    async with await EdgeStore.open(db) as store:
        await store.set_meta(IDENTITY_KEY, msgspec.json.encode(identity).decode())
    os.chmod(db, 0o644)
    async with await EdgeStore.open(db) as store:
        assert await read_identity(store) == identity
    async with await EdgeStore.open(db) as store:
        assert await read_identity(store) == identity
    assert mode(db) == 0o600
    assert TOKEN.encode() not in every_byte(db)
    assert token_file_text(db) == TOKEN


def token_file_text(db: Path) -> str | None:
    return read_secret(f"{db}.token")
