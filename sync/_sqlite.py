"""The SQLite connection every store method runs on: WAL, durable commits, one writer,
migrations."""

from __future__ import annotations

import asyncio
import os
import sqlite3
from collections.abc import AsyncIterator, Awaitable, Callable, Sequence
from contextlib import asynccontextmanager, suppress
from pathlib import Path
from types import TracebackType
from typing import Any, Self, TypeVar, cast

import aiosqlite

from ._pg_dialect import is_postgres, redacted
from .errors import StoreError

T = TypeVar("T")


OWNER_ONLY = 0o600
SIDE_FILES = ("", "-wal", "-shm", "-journal")


def owner_only(path: str | Path) -> None:
    """Create the database file ``path`` as 0600 if missing, and take every
    permission of group and others off it (and off its ``-wal``/``-shm``, which
    SQLite creates with the database's mode) if an older version left them
    readable. The owner's own bits stay: a file made read-only stays read-only.
    ``:memory:`` is left alone."""
    if str(path) == ":memory:" or str(path).startswith("file:"):
        return
    # no such directory: SQLite says so when it opens; an existing file is kept as it is
    with suppress(FileNotFoundError, FileExistsError):
        os.close(os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, OWNER_ONLY))
    for suffix in SIDE_FILES:
        with suppress(FileNotFoundError):
            side = f"{path}{suffix}"
            mode = os.stat(side).st_mode & 0o777
            if mode & ~OWNER_ONLY:
                os.chmod(side, mode & OWNER_ONLY)


class Database:
    """An aiosqlite connection guarded by one lock (one writer at a time), and a
    second connection for the small reads every request makes (:meth:`_read`),
    which need neither that lock nor to wait for a commit's fsync."""

    migrations: tuple[str, ...] = ()
    # Schemas of layers above (server, edge) living in the same file, each
    # versioned on its own in ``schema_versions``: ``{name: (ddl v1, v2, ...)}``.
    extra_schemas: dict[str, tuple[str, ...]] = {}

    def __init__(self, db: aiosqlite.Connection, path: str, reader: aiosqlite.Connection):
        self._db = db
        self._reader = reader
        self.path = path
        self._lock = asyncio.Lock()

    @classmethod
    async def open(cls, path: str | Path, *, durable: bool = True) -> Self:
        """Open ``path`` (creating or migrating it forward), readable by its owner only;
        a ``postgresql://`` URL opens that database instead (see :mod:`._postgres`).

        ``durable=False`` is for simulations only: commits survive the process
        being killed, not a power cut (WAL ``synchronous=NORMAL``, no fsync per commit).
        """
        if is_postgres(path):
            return await cls._open_postgres(str(path))
        owner_only(path)
        db = await aiosqlite.connect(str(path), isolation_level=None)
        try:
            await db.execute("PRAGMA journal_mode=WAL")
            # FULL: each commit fsyncs the WAL before it returns, so whatever a
            # node acknowledges after a commit survives a power cut (NORMAL
            # syncs only at checkpoints). Group commit keeps it cheap.
            await db.execute(f"PRAGMA synchronous={'FULL' if durable else 'NORMAL'}")
            await db.execute("PRAGMA busy_timeout=5000")
            reader = await aiosqlite.connect(str(path), isolation_level=None)
        except BaseException:
            await db.close()
            raise
        try:
            await reader.execute("PRAGMA query_only=1")
            await reader.execute("PRAGMA busy_timeout=5000")
            store = cls(db, str(path), reader)
            await store._migrate()
        except BaseException:
            await reader.close()
            await db.close()
            raise
        return store

    @classmethod
    async def _open_postgres(cls, url: str) -> Self:
        try:
            from ._postgres import AsyncPg, migrate
        except ImportError:
            raise StoreError(
                "PostgreSQL needs psycopg: pip install 'parcelsync[postgres]'"
            ) from None
        # AsyncPg answers aiosqlite's connection methods the stores call
        db = cast(aiosqlite.Connection, await AsyncPg.connect(url))
        try:
            reader = cast(aiosqlite.Connection, await AsyncPg.connect(url))
        except BaseException:
            await db.close()
            raise
        store = cls(db, url, reader)
        try:
            await migrate(cast(AsyncPg, db), cls.migrations, cls.extra_schemas, redacted(url))
        except BaseException:
            await store.close()
            raise
        return store

    @property
    def on_postgres(self) -> bool:
        """Whether this store is a PostgreSQL database (central's, several processes)."""
        return is_postgres(self.path)

    async def tell_other_processes_revoked(self, device_id: str) -> None:
        """On PostgreSQL, have every other server process close ``device_id``'s sockets;
        a SQLite file has one process, so nothing to do."""
        if self.on_postgres:
            async with self._lock:
                await on_sqlite_thread(self._db, lambda c: c.notify_revoked(device_id))  # type: ignore[attr-defined]

    async def close(self) -> None:
        """Close the file; every committed batch is on disk."""
        await self._reader.close()
        await self._db.close()

    async def __aenter__(self) -> Self:
        return self

    async def __aexit__(
        self, t: type[BaseException] | None, e: BaseException | None, tb: TracebackType | None
    ) -> None:
        await self.close()

    async def _migrate(self) -> None:
        row = await self._one("PRAGMA user_version")
        version = int(row[0]) if row else 0
        latest = len(self.migrations)
        if version > latest:
            raise StoreError(
                f"{self.path} has schema version {version}, newer than this program's "
                f"{latest}: upgrade parcelsync"
            )
        for target in range(version, latest):
            # executescript commits first, so BEGIN/COMMIT are part of the script.
            await self._db.executescript(
                f"BEGIN;\n{self.migrations[target]}\nPRAGMA user_version={target + 1};\nCOMMIT;"
            )

        for name, steps in self.extra_schemas.items():
            row = await self._one("SELECT version FROM schema_versions WHERE name = ?", (name,))
            done = int(row[0]) if row else 0
            if done > len(steps):
                raise StoreError(f"{self.path}: schema {name!r} v{done} is newer than this program")
            for target in range(done, len(steps)):
                await self._db.executescript(
                    f"BEGIN;\n{steps[target]}\nINSERT OR REPLACE INTO schema_versions "
                    f"VALUES ('{name}', {target + 1});\nCOMMIT;"
                )

    @asynccontextmanager
    async def transaction(self) -> AsyncIterator[aiosqlite.Connection]:
        """One write transaction; rolled back whole on any exception.

        Its BEGIN, COMMIT and ROLLBACK run to their end: a caller cancelled
        meanwhile waits for them and then gets the cancellation, so the
        connection is never left inside a transaction nobody owns (a COMMIT
        may have committed, as when an answer is lost on the way).
        """
        async with self._lock:
            try:
                await _to_its_end(self._db.execute("BEGIN IMMEDIATE"))
                yield self._db
                await _to_its_end(self._db.execute("COMMIT"))
            except BaseException:
                if self._db.in_transaction:  # a failed COMMIT leaves it open
                    await _to_its_end(self._db.execute("ROLLBACK"))
                raise

    @asynccontextmanager
    async def reading(self) -> AsyncIterator[aiosqlite.Connection]:
        """A consistent read snapshot; no writer interleaves."""
        async with self._lock:
            try:
                await _to_its_end(self._db.execute("BEGIN"))
                yield self._db
            finally:
                if self._db.in_transaction:
                    await _to_its_end(self._db.execute("COMMIT"))

    async def in_one_transaction(self, work: Callable[[sqlite3.Connection], T]) -> T:
        """``work(connection)`` as one write transaction, in one trip to SQLite's
        thread (see :func:`on_sqlite_thread`); rolled back whole if it raises.

        Once on the thread the transaction runs to its end: a caller cancelled
        meanwhile waits for it, keeping the lock, and then gets the cancellation.
        The write may have committed (as when an answer is lost on the way; what
        is written is safe to send again).
        """

        def run(connection: sqlite3.Connection) -> T:
            connection.execute("BEGIN IMMEDIATE")
            try:
                result = work(connection)
                connection.execute("COMMIT")
            except BaseException:
                if connection.in_transaction:  # a failed COMMIT leaves it open
                    connection.execute("ROLLBACK")
                raise
            return result

        async with self._lock:
            return await _to_its_end(on_sqlite_thread(self._db, run))

    async def _read(self, sql: str, params: Sequence[Any] = ()) -> list[Any]:
        """Every row of a one-statement read, on the reading connection: it sees
        what is committed, never a transaction still open, and runs beside a
        commit (WAL readers do not wait for the writer)."""
        return list(await self._reader.execute_fetchall(sql, params))

    async def _one(self, sql: str, params: Sequence[Any] = ()) -> Any:
        """The first row of a query expected to give at most a few (one thread hop)."""
        return next(iter(await self._all(sql, params)), None)

    async def _all(self, sql: str, params: Sequence[Any] = ()) -> list[Any]:
        """Every row of a query, executed and fetched in one thread hop."""
        return list(await self._db.execute_fetchall(sql, params))

    async def query(self, sql: str, params: Sequence[Any] = ()) -> list[tuple[Any, ...]]:
        """Rows of a read-only query (reports, dashboards, tests), in one thread hop.

        One statement reads one consistent snapshot by itself; the lock keeps it
        out of another task's open transaction on the shared connection.
        """
        async with self._lock:
            return [tuple(r) for r in await self._all(sql, params)]


async def _to_its_end(call: Awaitable[T]) -> T:
    """Await ``call``; if the caller is cancelled meanwhile, wait for it to end, then re-raise.

    Work handed to SQLite's thread runs anyway: the caller must not go on (and
    roll back, or release the lock) as if it had not.
    """
    trip = asyncio.ensure_future(call)
    try:
        return await asyncio.shield(trip)
    except asyncio.CancelledError:
        await asyncio.wait([trip])
        raise


Statement = tuple[str, Sequence[Sequence[Any]]]  # SQL and the parameter rows it runs with
Step = Statement | Callable[[sqlite3.Connection], None]  # one part of a trip to SQLite


async def on_sqlite_thread(db: aiosqlite.Connection, work: Callable[[sqlite3.Connection], T]) -> T:
    """``work(connection)`` on ``db``'s own thread, in one trip there and back.

    Every awaited aiosqlite call is a trip to its thread and back, about 80 us
    on our 2-core machines whatever the statement; a small push made some 30 of
    them. aiosqlite runs any function this way internally but has no public
    call for it, so this is the one place that uses its ``_execute``
    (``pyproject.toml`` keeps aiosqlite to one minor version; ``tests/test_store.py``
    exercises this on every write).
    """
    return await db._execute(work, db._conn)  # type: ignore[no-untyped-call,no-any-return]


def run_steps(connection: sqlite3.Connection, steps: Sequence[Step]) -> None:
    """Run the steps in order: a statement over its rows (``executemany``; skipped
    with none), a function with the connection. The first that fails raises, and
    the caller's transaction rolls back the ones before."""
    for step in steps:
        if callable(step):
            step(connection)
        elif step[1]:
            connection.executemany(*step)


async def run_in_one_trip(db: aiosqlite.Connection, steps: Sequence[Step]) -> None:
    """:func:`run_steps` in one trip to SQLite's thread."""
    await on_sqlite_thread(db, lambda connection: run_steps(connection, steps))
