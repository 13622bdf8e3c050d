"""PostgreSQL behind the same connection the SQLite store uses (psycopg 3, one thread).

:class:`PgConnection` answers the part of :class:`sqlite3.Connection` the stores
use (``execute``, ``executemany``, ``in_transaction``), rewriting each statement
with :mod:`._pg_dialect`; :class:`AsyncPg` runs it on its own thread the way
aiosqlite runs SQLite, so a store's write is still one function in one trip
(``on_sqlite_thread``) whichever database is behind it.

What PostgreSQL adds, for several server processes on one database:

- ``BEGIN IMMEDIATE`` (a write) takes one transaction-level advisory lock: writers
  run one at a time, as on SQLite. A write's log rows get their ``seq`` and commit
  while it holds the lock, and the lock is released only after the commit is
  visible, so rows become visible in ``seq`` order: a reader that saw ``seq`` n has
  seen every row below it, and its cursor never passes a row still to commit.
- Its ``COMMIT`` sends ``NOTIFY parcelsync_log_<schema>`` with the log head, once per
  transaction (a group-committed batch is one), for :class:`.live.PgChangeFeed`.
- ``BEGIN`` (a read) is a ``REPEATABLE READ`` snapshot, as a SQLite read is.
"""

from __future__ import annotations

import asyncio
import logging
import sqlite3
from collections.abc import Awaitable, Callable, Iterator, Sequence
from concurrent.futures import ThreadPoolExecutor
from decimal import Decimal
from functools import lru_cache
from typing import Any, TypeVar

import psycopg
from psycopg.adapt import Loader
from psycopg.pq import TransactionStatus

from . import _pg_dialect

T = TypeVar("T")
log = logging.getLogger(__name__)

# Advisory lock classes ("parc", "pard"), each keyed by the schema (one lock per store).
WRITE_LOCK = 0x70617263  # every write holds it
MIGRATE_LOCK = 0x70617264
_HEAD = "SELECT coalesce(max(seq), 0) FROM update_log"
_SCHEMA_KEY = "SELECT hashtext(current_schema())"


def _channel(key: int, topic: str = "log") -> str:
    """The ``NOTIFY`` channel of ``topic`` (``log``: heads, ``revoked``: device ids)
    of the store keyed ``key`` (its schema's)."""
    return f"parcelsync_{topic}_{key & 0xFFFFFFFF:08x}"


class _NumberLoader(Loader):
    """``numeric`` (what ``sum`` of integers gives) as ``int`` when whole, as SQLite does."""

    def load(self, data: Any) -> int | float:
        value = Decimal(bytes(data).decode())
        return int(value) if value == value.to_integral_value() else float(value)


class _TextLoader(Loader):
    """``json`` as its text, as SQLite's json functions return it."""

    def load(self, data: Any) -> str:
        return bytes(data).decode()


class PgCursor:
    """What an executed statement gives back: its rows and ``rowcount``."""

    def __init__(self, rows: list[tuple[Any, ...]], rowcount: int):
        self._rows = rows
        self.rowcount = rowcount

    def fetchone(self) -> tuple[Any, ...] | None:
        return self._rows.pop(0) if self._rows else None

    def fetchall(self) -> list[tuple[Any, ...]]:
        rows, self._rows = self._rows, []
        return rows

    def __iter__(self) -> Iterator[tuple[Any, ...]]:
        return iter(self.fetchall())


class PgConnection:
    """A psycopg connection (autocommit: transactions are the statements' own)
    answering like :class:`sqlite3.Connection`; psycopg's errors are raised as
    :mod:`sqlite3`'s (``IntegrityError`` for a constraint), which callers catch."""

    def __init__(self, url: str):
        self._url = url
        self._conn = self._connected()
        self._writing = False
        self._begun = False  # between this connection's BEGIN and its COMMIT/ROLLBACK
        row = self._conn.execute(_SCHEMA_KEY).fetchone()
        self.lock_key = int(row[0]) if row else 0
        self._notify = f"SELECT pg_notify('{_channel(self.lock_key)}', CAST(({_HEAD}) AS TEXT))"
        self._revoked = _channel(self.lock_key, "revoked")
        self._shapes: dict[str, tuple[list[str], list[str]]] = {}
        self._replaces: dict[str, str] = {}

    def _connected(self) -> psycopg.Connection[Any]:
        conn = psycopg.connect(self._url, autocommit=True)
        conn.adapters.register_loader("numeric", _NumberLoader)
        conn.adapters.register_loader("json", _TextLoader)
        return conn

    @classmethod
    def connect(cls, url: str) -> PgConnection:
        return cls(url)

    def _reconnect_if_lost(self, sql: str) -> bool:
        """After a lost connection (the server restarted, the backend was ended),
        connect again for the next transaction or statement; True when ``sql`` is a
        ROLLBACK of a transaction the lost connection took with it (nothing to do).
        A statement inside that transaction gets the error: it is gone."""
        if not self._conn.closed:
            return False
        if self._begun:
            if sql.lstrip()[:8].upper() == "ROLLBACK":
                self._begun = self._writing = False
                return True
            raise sqlite3.OperationalError(
                "the connection to the database was lost mid-transaction"
            )
        self._conn = self._connected()
        return False

    @property
    def in_transaction(self) -> bool:
        if self._conn.closed:
            return self._begun
        return self._conn.info.transaction_status != TransactionStatus.IDLE

    def close(self) -> None:
        self._conn.close()

    def execute(self, sql: str, params: Sequence[Any] = ()) -> PgCursor:
        """Run one statement (SQLite's SQL); ``PRAGMA`` is a no-op here."""
        head = sql.lstrip()[:16].upper()
        if head.startswith("PRAGMA") or self._reconnect_if_lost(sql):
            return PgCursor([], -1)
        if head.startswith("BEGIN IMMEDIATE"):
            sql = f"BEGIN; SELECT pg_advisory_xact_lock({WRITE_LOCK}, {self.lock_key})"
            self._writing = self._begun = True
        elif head.startswith("BEGIN"):
            sql, self._begun = "BEGIN ISOLATION LEVEL REPEATABLE READ", True
        elif head.startswith("COMMIT"):
            sql = f"{self._notify}; COMMIT" if self._writing else "COMMIT"
            self._writing = self._begun = False
        elif head.startswith("ROLLBACK"):
            self._writing = self._begun = False
        else:
            return self._run(lambda cur: cur.execute(self._sql(sql), _params(params)))
        return self._run(lambda cur: cur.execute(sql))

    def executemany(self, sql: str, rows: Any) -> PgCursor:
        """Run one statement over each parameter row (pipelined by psycopg)."""
        self._reconnect_if_lost(sql)
        batch = [_params(r) for r in rows]
        if not batch:
            return PgCursor([], 0)
        return self._run(lambda cur: cur.executemany(self._sql(sql), batch))

    def notify_revoked(self, device_id: str) -> None:
        """Tell every process listening (:func:`listen_heads`) that ``device_id``'s
        sockets must close."""
        self._run(lambda cur: cur.execute("SELECT pg_notify(%s, %s)", (self._revoked, device_id)))

    def executescript(self, script: str) -> None:
        """Run several statements with no parameters (a migration's DDL)."""
        self._run(lambda cur: cur.execute(script.encode()))

    def _run(self, call: Callable[[psycopg.Cursor[Any]], Any]) -> PgCursor:
        try:
            with self._conn.cursor() as cur:
                call(cur)
                rows = cur.fetchall() if cur.description is not None else []
                return PgCursor(rows, cur.rowcount)
        except psycopg.IntegrityError as exc:
            raise sqlite3.IntegrityError(str(exc)) from exc
        except psycopg.OperationalError as exc:
            raise _fault(str(exc)) from exc
        except psycopg.Error as exc:
            raise sqlite3.DatabaseError(str(exc)) from exc

    def _sql(self, sql: str) -> str:
        if "OR REPLACE" not in sql.upper():
            return _plain(sql)
        if sql not in self._replaces:  # needs the table's key, from the catalog
            self._replaces[sql] = _pg_dialect.statement(sql, self._shape)
        return self._replaces[sql]

    def _shape(self, table: str) -> tuple[list[str], list[str]]:
        """A table's columns and primary key, from the catalog (for ``INSERT OR REPLACE``)."""
        if table not in self._shapes:
            with self._conn.cursor() as cur:
                cur.execute(
                    "SELECT a.attname, coalesce(a.attnum = ANY(i.indkey), false) "
                    "FROM pg_attribute a LEFT JOIN pg_index i "
                    "ON i.indrelid = a.attrelid AND i.indisprimary "
                    "WHERE a.attrelid = to_regclass(%s) AND a.attnum > 0 "
                    "AND NOT a.attisdropped ORDER BY a.attnum",
                    (table,),
                )
                found = cur.fetchall()
            if not found:
                raise sqlite3.OperationalError(f"no such table: {table}")
            self._shapes[table] = ([r[0] for r in found], [r[0] for r in found if r[1]])
        return self._shapes[table]


def _fault(message: str) -> sqlite3.OperationalError:
    """A failure of the database server (or of the way to it), which
    :func:`.faults.storage_fault` names: the server answers 503, not 500."""
    fault = sqlite3.OperationalError(message)
    fault.database_fault = f"the database server failed: {message}"  # type: ignore[attr-defined]
    return fault


def _no_shapes(table: str) -> tuple[list[str], list[str]]:
    raise AssertionError(f"no INSERT OR REPLACE expected ({table})")


@lru_cache(maxsize=4096)
def _plain(sql: str) -> str:
    """A statement without ``INSERT OR REPLACE`` rewritten, once per distinct statement."""
    return _pg_dialect.statement(sql, _no_shapes)


def _params(row: Sequence[Any]) -> Sequence[Any]:
    """Parameters as SQLite stores them: a ``bool`` is the integer 0 or 1."""
    return [int(v) if isinstance(v, bool) else v for v in row]


class AsyncPg:
    """A :class:`PgConnection` on its own thread, with aiosqlite's connection methods."""

    def __init__(self, conn: PgConnection):
        self._conn = conn
        self._thread = ThreadPoolExecutor(1, thread_name_prefix="postgres")

    @classmethod
    async def connect(cls, url: str) -> AsyncPg:
        thread = ThreadPoolExecutor(1, thread_name_prefix="postgres")
        conn = await asyncio.get_running_loop().run_in_executor(thread, PgConnection.connect, url)
        made = cls(conn)
        made._thread.shutdown()
        made._thread = thread
        return made

    async def _execute(self, fn: Callable[..., T], *args: Any) -> T:
        return await asyncio.get_running_loop().run_in_executor(self._thread, fn, *args)

    @property
    def in_transaction(self) -> bool:
        return self._conn.in_transaction

    async def execute(self, sql: str, params: Sequence[Any] = ()) -> _AsyncCursor:
        return _AsyncCursor(await self._execute(self._conn.execute, sql, params))

    async def executemany(self, sql: str, rows: Any) -> _AsyncCursor:
        return _AsyncCursor(await self._execute(self._conn.executemany, sql, list(rows)))

    async def execute_fetchall(self, sql: str, params: Sequence[Any] = ()) -> list[Any]:
        return (await self._execute(self._conn.execute, sql, params)).fetchall()

    async def executescript(self, script: str) -> None:
        await self._execute(self._conn.executescript, script)

    async def close(self) -> None:
        await self._execute(self._conn.close)
        self._thread.shutdown()


class _AsyncCursor:
    """An executed statement's result as the stores read aiosqlite's: its ``rowcount``."""

    def __init__(self, cursor: PgCursor):
        self.rowcount = cursor.rowcount


async def migrate(
    db: AsyncPg, migrations: Sequence[str], extra: dict[str, tuple[str, ...]], where: str
) -> None:
    """Bring the schema forward, versioned as on SQLite: the core's version in
    ``schema_versions`` under ``''``, each extra schema under its name. A session
    advisory lock keeps two processes starting at once from migrating together."""

    def run(conn: PgConnection) -> None:
        conn.executescript(f"SELECT pg_advisory_lock({MIGRATE_LOCK}, {conn.lock_key})")
        try:
            conn.executescript(
                f"{_pg_dialect.PRELUDE}; CREATE TABLE IF NOT EXISTS schema_versions "
                '(name TEXT COLLATE "C" PRIMARY KEY, version BIGINT NOT NULL)'
            )
            _steps(conn, "", migrations, where)
            for name, steps in extra.items():
                _steps(conn, name, steps, where)
        finally:
            conn.executescript(f"SELECT pg_advisory_unlock({MIGRATE_LOCK}, {conn.lock_key})")

    await db._execute(run, db._conn)


def _steps(conn: PgConnection, name: str, steps: Sequence[str], where: str) -> None:
    from .errors import StoreError

    row = conn.execute("SELECT version FROM schema_versions WHERE name = ?", (name,)).fetchone()
    done = int(row[0]) if row else 0
    if done > len(steps):
        label = f"schema {name!r}" if name else "schema"
        raise StoreError(f"{where}: {label} v{done} is newer than this program's {len(steps)}")
    for target in range(done, len(steps)):
        script = _pg_dialect.ddl(steps[target])
        conn.executescript(
            f"BEGIN;\n{script}\nINSERT INTO schema_versions VALUES ('{name}', {target + 1}) "
            f"ON CONFLICT (name) DO UPDATE SET version = excluded.version;\nCOMMIT;"
        )


def has_schema(url: str, name: str) -> bool:
    """Whether the database at ``url`` holds schema ``name`` (see ``schema_versions``),
    read without migrating anything; False when it cannot be reached."""
    try:
        with psycopg.connect(url, autocommit=True) as conn:
            if conn.execute("SELECT to_regclass('schema_versions')").fetchone() == (None,):
                return False
            found = conn.execute("SELECT 1 FROM schema_versions WHERE name = %s", (name,))
            return found.fetchone() is not None
    except psycopg.Error:
        return False


async def listen_heads(
    url: str, on_head: Callable[[int], Awaitable[None]], on_revoked: Callable[[str], object]
) -> None:
    """Call ``on_head(head)`` for every write committed to ``url``'s log by any
    process, and ``on_revoked(device_id)`` for every :meth:`PgConnection.notify_revoked`,
    until cancelled; reconnects after a lost connection, and then calls ``on_head``
    with the head it finds, for what it missed."""
    while True:
        try:
            async with await psycopg.AsyncConnection.connect(url, autocommit=True) as conn:
                found = await (await conn.execute(_SCHEMA_KEY)).fetchone()
                key = int(found[0]) if found else 0
                heads, revoked = _channel(key), _channel(key, "revoked")
                await conn.execute(f"LISTEN {heads}; LISTEN {revoked}".encode())
                row = await (await conn.execute(_HEAD)).fetchone()
                await on_head(int(row[0]) if row else 0)
                async for note in conn.notifies():
                    if note.channel == heads:
                        await on_head(int(note.payload))
                    else:
                        on_revoked(note.payload)
        except (psycopg.Error, sqlite3.Error):  # the server or the store's query failed
            log.warning("log listener on %s failed; listening again", _pg_dialect.redacted(url))
            await asyncio.sleep(1)
