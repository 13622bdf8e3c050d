"""``parcelsync demo``: central receives the handhelds' work; a second run; Ctrl-C."""

from __future__ import annotations

import os
import queue
import re
import signal
import socket
import sqlite3
import subprocess
import sys
import threading
from pathlib import Path

import pytest

from fixtures import tiny
from simulation.proc_net import free_port

ROOT = Path(__file__).resolve().parent.parent
DEMO = [sys.executable, "-m", "parcelsync_cli", "demo"]
# dev.py's way of running a task, around the same demo command
THROUGH_DEV = [sys.executable, "-c", "import dev, sys; sys.exit(dev.call(sys.argv[1:]))"]


def run_demo(directory: Path, *options: str) -> subprocess.CompletedProcess[str]:
    command = [*DEMO, *options, "--port", str(free_port()), "--dir", str(directory)]
    return subprocess.run(command, capture_output=True, text=True, timeout=120, cwd=ROOT)


def central_counts(directory: Path) -> dict[str, int]:
    """What central holds of the demo's day, by kind."""
    with sqlite3.connect(directory / "central.db") as db:

        def one(sql: str) -> int:
            return int(db.execute(sql).fetchone()[0] or 0)

        events = "SELECT count(*) FROM p_events WHERE device LIKE 'demo-hh-%' AND type = "
        return {
            "shipments": one("SELECT count(*) FROM p_shipments"),
            "delivered": one(events + "'delivered'"),
            "cod_collected": one(events + "'cod_collected'"),
            "handed_over": one(events + "'handed_over'"),
            "deposited": one("SELECT sum(deposited) FROM p_cash_books"),
            "remitted": one("SELECT sum(remitted) FROM p_cash_books"),
            "graded": one("SELECT count(*) FROM p_returns WHERE status != 'requested'"),
        }


def assert_day_played(done: subprocess.CompletedProcess[str], directory: Path) -> dict[str, int]:
    assert done.returncode == 0, done.stdout + done.stderr
    assert "office token:" in done.stdout and "dashboard: http://127.0.0.1:" in done.stdout
    assert "handheld OFFLINE" in done.stdout and "back ONLINE" in done.stdout
    counts = central_counts(directory)
    assert counts["delivered"] >= 10
    assert counts["cod_collected"] >= 1 and counts["handed_over"] >= 1
    assert counts["deposited"] > 0
    assert counts["remitted"] > 0, "head office remitted nothing"
    assert counts["graded"] >= 1, "no customer return reached the returns desk"
    return counts


def assert_names_and_money(log: str) -> None:
    """Couriers by name beside the ids the dashboard shows; amounts as money (EUR 372.32)."""
    for courier in tiny(1).network.couriers:  # the demo's network (seed 1)
        assert f"{courier.name} (courier {courier.id}, handheld demo-hh-{courier.code})" in log
        assert f"{courier.name}: stop 1 " in log
    remitted = re.findall(r"office: remitted (.+) to ", log)
    assert remitted and all(re.fullmatch(r"EUR \d+\.\d\d", amount) for amount in remitted)
    assert re.search(r"handed over EUR \d+\.\d\d at the depot desk", log)
    assert re.search(r"depot: counted EUR \d+\.\d\d from ", log)
    assert re.search(r"depot: deposited EUR \d+\.\d\d \(batch ", log)
    assert "minor units" not in log and "courier AMS1-" not in log


def _lines(stream: object, into: queue.Queue[str | None]) -> None:
    for line in stream:  # type: ignore[attr-defined]
        into.put(line)
    into.put(None)


@pytest.mark.slow
@pytest.mark.parametrize("wrapper", [[], THROUGH_DEV], ids=["parcelsync", "dev.py"])
def test_ctrl_c_stops_the_demo_with_one_line(tmp_path: Path, wrapper: list[str]) -> None:
    port = free_port()
    command = [*wrapper, *DEMO, "--port", str(port), "--dir", str(tmp_path)]
    demo = subprocess.Popen(
        command,
        cwd=ROOT,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        start_new_session=True,  # its own process group, as a terminal's foreground job
    )
    lines: queue.Queue[str | None] = queue.Queue()
    reader = threading.Thread(target=_lines, args=(demo.stdout, lines), daemon=True)
    reader.start()
    seen: list[str] = []
    try:
        while not any(": stop 1 " in line for line in seen):
            line = lines.get(timeout=90)
            assert line is not None, "the demo ended by itself:\n" + "".join(seen)
            seen.append(line)
        os.killpg(demo.pid, signal.SIGINT)  # what Ctrl-C at the terminal does
        status = demo.wait(timeout=60)
    finally:
        if demo.poll() is None:
            os.killpg(demo.pid, signal.SIGKILL)
            demo.wait()
    after = []
    # the pipe ends when every writer has gone, central included (else Empty: it was left behind)
    while (line := lines.get(timeout=10)) is not None:
        after.append(line)
    reader.join()
    assert demo.stdout is not None
    demo.stdout.close()
    output = "".join(seen + after)
    assert status in (0, 130), output
    assert "Traceback" not in output and "KeyboardInterrupt" not in output, output
    # the demo's own lines printed before the signal may still be in the pipe; then one line
    assert after[-1] == f"demo: stopped; its data is kept in {tmp_path} (--keep continues it)\n"
    assert [line for line in after if line.startswith("demo:")] == after[-1:], output
    noise = [line for line in after if re.search(r"INFO|WARNING|ERROR|Error|Exception", line)]
    assert not noise, output
    with socket.socket() as probe:  # central was stopped too, not left behind
        assert probe.connect_ex(("127.0.0.1", port)) != 0


@pytest.mark.slow
def test_demo_runs_twice_in_a_row_then_continues_with_keep(tmp_path: Path) -> None:
    first = run_demo(tmp_path, "--until-done", "--duration", "100")
    counts = assert_day_played(first, tmp_path)
    assert "starting afresh" not in first.stdout  # nothing to remove on a first run
    assert_names_and_money(first.stdout)

    second = run_demo(tmp_path, "--until-done", "--duration", "100")
    assert "starting afresh, the previous run's files are removed" in second.stdout
    again = assert_day_played(second, tmp_path)
    assert again["shipments"] == counts["shipments"], "the first run's shipments were kept"

    kept = run_demo(tmp_path, "--keep", "--duration", "4")
    assert kept.returncode == 0, kept.stdout + kept.stderr
    assert "continuing the previous run" in kept.stdout and "starting afresh" not in kept.stdout
    assert "seeding:" not in kept.stdout  # no new day
    assert central_counts(tmp_path) == again
