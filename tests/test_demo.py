"""``parcelsync demo --duration``: central receives deliveries made on the handhelds."""

from __future__ import annotations

import socket
import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.mark.slow
def test_demo_runs_and_central_receives_deliveries(tmp_path: Path) -> None:
    command = [sys.executable, "-m", "parcelsync_cli", "demo", "--duration", "20"]
    command += ["--port", str(free_port()), "--dir", str(tmp_path)]
    done = subprocess.run(command, capture_output=True, text=True, timeout=90)
    assert done.returncode == 0, done.stdout + done.stderr
    assert "office token:" in done.stdout
    assert "handheld OFFLINE" in done.stdout and "back ONLINE" in done.stdout
    with sqlite3.connect(tmp_path / "central.db") as db:
        rows = dict(
            db.execute(
                "SELECT type, count(*) FROM p_events WHERE device LIKE 'demo-hh-%' GROUP BY type"
            ).fetchall()
        )
        deposited = db.execute("SELECT sum(deposited) FROM p_cash_books").fetchone()[0]
        remitted = db.execute("SELECT sum(remitted) FROM p_cash_books").fetchone()[0]
        graded = db.execute("SELECT count(*) FROM p_returns WHERE status != 'requested'")
        graded_returns = graded.fetchone()[0]
    assert rows.get("delivered", 0) >= 10
    assert rows.get("cod_collected", 0) >= 1 and rows.get("handed_over", 0) >= 1
    assert deposited and deposited > 0
    assert remitted and remitted > 0, "head office remitted nothing"
    assert graded_returns >= 1, "no customer return reached the returns desk"
    assert "dashboard: http://127.0.0.1:" in done.stdout
