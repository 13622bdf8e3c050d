"""Nothing outside the store writes SQL against the core store's tables.

The scan reads every module's string constants (f-strings included, by their
literal parts) and flags a statement that reads or writes a core table: a
``SELECT``/``INSERT``/``UPDATE``/``DELETE`` keyword together with ``FROM``,
``JOIN``, ``INTO`` or ``UPDATE`` naming the table. Docstrings are skipped, and
prose does not match (a statement needs its keyword and a table clause).
"""

from __future__ import annotations

import ast
import re
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
PACKAGES = ("sync", "server", "edge", "simulation", "bench", "protocol", "fixtures", "paper")
CORE_TABLES = (
    "documents",
    "update_log",
    "outbox",
    "quarantine",
    "meta",
    "devices",
    "cursors",
    "resync",
    "evictions",
    "device_resets",
    "reset_acks",
    "doc_tail",
)
# The store: its SQL is the implementation behind sync.ports.
STORE_MODULES = {
    "sync/store.py",
    "sync/_sqlite.py",
    "sync/_log.py",
    "sync/_outbox.py",
    "sync/_resets.py",
    "sync/_health.py",
    "sync/_tails.py",
    "sync/devices.py",
    "sync/schema.py",
    "server/store.py",  # central's store: extends ReplicaStore in the same transactions
    "sync/_postgres.py",  # the PostgreSQL connection beneath the same store (its head, its LISTEN)
    # measures raw SQLite under the pipeline, on its own connection, by design
    "bench/ingest_floor.py",
}
_STATEMENT = re.compile(r"\b(SELECT|INSERT|UPDATE|DELETE)\b")
_TABLE = re.compile(
    r"\b(?:FROM|JOIN|INTO|UPDATE)\s+(" + "|".join(CORE_TABLES) + r")\b(?!\s*\()", re.IGNORECASE
)


# Packages whose read models live in one store module each: no SQL anywhere else in them.
READ_STORES = {
    "edge": {"edge/store.py", "edge/read_store.py"},
    "simulation": {"simulation/read_store.py"},
    "server/webhooks": {"server/webhooks/store.py"},
    "server/notifications": {"server/notifications/store.py"},
    "server/office": {"server/office/store.py"},
    "server/followups": {"server/followups/store.py"},
    "server/merchant_api": {"server/merchant_api/store.py"},
}
_ANY_TABLE = re.compile(r"\b(?:FROM|JOIN|INTO)\s+[a-z_]+\b|\bUPDATE\s+[a-z_]+\s+SET\b")


def _docstrings(tree: ast.AST) -> set[int]:
    """``id()`` of every docstring node."""
    found = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Module | ast.ClassDef | ast.FunctionDef | ast.AsyncFunctionDef):
            body = node.body
            if body and isinstance(body[0], ast.Expr) and isinstance(body[0].value, ast.Constant):
                found.add(id(body[0].value))
    return found


def core_sql(source: str, tables: re.Pattern[str] = _TABLE) -> list[tuple[int, str]]:
    """``(line, table)`` of each string constant in ``source`` that is SQL on a core table
    (or, with ``tables`` :data:`_ANY_TABLE`, on any table).

    Adjacent literals are one constant to Python, and an f-string is scanned by
    its literal parts joined, so a statement split over lines is seen whole."""
    tree = ast.parse(source)
    skip = _docstrings(tree)
    skip |= {id(v) for n in ast.walk(tree) if isinstance(n, ast.JoinedStr) for v in n.values}
    hits = []
    for node in ast.walk(tree):
        if isinstance(node, ast.JoinedStr):
            parts = [v.value for v in node.values if isinstance(v, ast.Constant)]
            text = " ".join(str(p) for p in parts)
        elif isinstance(node, ast.Constant) and isinstance(node.value, str):
            if id(node) in skip:
                continue
            text = node.value
        else:
            continue
        table = tables.search(text)
        if table and _STATEMENT.search(text):
            hits.append((node.lineno, table.group(table.lastindex or 0)))
    return hits


def _modules() -> list[Path]:
    return sorted(p for package in PACKAGES for p in (ROOT / package).rglob("*.py"))


def test_no_core_table_sql_outside_the_store() -> None:
    offenders = [
        f"{path.relative_to(ROOT)}:{line} ({table})"
        for path in _modules()
        if str(path.relative_to(ROOT)) not in STORE_MODULES
        for line, table in core_sql(path.read_text())
    ]
    assert offenders == [], "SQL on the store's tables outside the store: " + ", ".join(offenders)


@pytest.mark.parametrize("package", sorted(READ_STORES))
def test_no_sql_outside_the_read_stores(package: str) -> None:
    offenders = [
        f"{path.relative_to(ROOT)}:{line}"
        for path in sorted((ROOT / package).rglob("*.py"))
        if str(path.relative_to(ROOT)) not in READ_STORES[package]
        for line, _ in core_sql(path.read_text(), _ANY_TABLE)
    ]
    assert offenders == [], f"SQL in {package}/ outside its store modules: " + ", ".join(offenders)


def test_every_allowed_module_exists() -> None:
    """An allowlist entry for a module gone would let a new one of that name in unseen."""
    allowed = STORE_MODULES.union(*READ_STORES.values())
    assert [m for m in sorted(allowed) if not (ROOT / m).is_file()] == []


@pytest.mark.parametrize(
    ("source", "tables"),
    [
        ('Q = "SELECT count(*) FROM documents"', ["documents"]),
        ('Q = ("SELECT a "\n     "FROM update_log WHERE seq > ?")', ["update_log"]),
        ('Q = f"DELETE FROM {t} WHERE x"; R = "INSERT INTO outbox VALUES (?)"', ["outbox"]),
        ('Q = f"SELECT d.x FROM devices d {JOIN} WHERE {w}"', ["devices"]),
        ('Q = "UPDATE meta SET value = ?"', ["meta"]),
        ('def f():\n    """Read documents FROM update_log: SELECT the rows."""', []),
        ('Q = "SELECT doc_id FROM p_shipments"', []),
        ('Q = "the documents held; select from the outbox"', []),
        ('Q = "SELECT value FROM json_each(?)"', []),
    ],
)
def test_the_scan_finds_sql_and_not_prose(source: str, tables: list[str]) -> None:
    assert [t for _, t in core_sql(source)] == tables


def test_the_wider_scan_finds_sql_on_any_table() -> None:
    source = (
        'A = "SELECT doc_id FROM p_shipments"\nB = "UPDATE p_x SET a = 1"\nC = "select from it"'
    )
    assert [line for line, _ in core_sql(source, _ANY_TABLE)] == [1, 2]
