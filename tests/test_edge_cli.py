"""The ``edge`` click group: readable output, --json, one-line errors with exit code 1."""

from __future__ import annotations

import asyncio
import json
import subprocess
import sys
from pathlib import Path

from click.testing import CliRunner

from edge.cli import edge
from edge.store import EdgeStore
from protocol.ids import make_tracking_number
from tests._edge_world import DAY, seed, shipment_command

TN = make_tracking_number


def setup_handheld(db: str) -> CliRunner:
    runner = CliRunner()
    result = runner.invoke(
        edge,
        [
            "enroll",
            "--db",
            db,
            "--device-id",
            "hh-C1-1",
            "--role",
            "courier",
            "--depot",
            "D1",
            "--courier",
            "C1",
            "--cash-limit",
            "30.00",
        ],
    )
    assert result.exit_code == 0, result.output

    async def fill() -> None:
        async with await EdgeStore.open(db) as store:
            await seed(store, [shipment_command(1, cod=2500), shipment_command(2, cod=1000)])

    asyncio.run(fill())
    return runner


def test_courier_flow_through_the_cli(tmp_path):
    db = str(tmp_path / "hh.db")
    runner = setup_handheld(db)
    route = runner.invoke(edge, ["route", "--db", db, "--day", DAY, "--json"])
    assert [s["tracking_number"] for s in json.loads(route.output)] == [TN(1), TN(2)]
    assert "COD EUR 25.00" in runner.invoke(edge, ["route", "--db", db, "--day", DAY]).output
    ok = runner.invoke(edge, ["collect", "--db", db, TN(1), "25.00"])
    assert ok.exit_code == 0 and "collected EUR 25.00" in ok.output
    limit = runner.invoke(edge, ["collect", "--db", db, TN(2), "10"])
    assert limit.exit_code == 1
    assert limit.output.count("\n") == 1 and "limit of EUR 30.00" in limit.output
    delivered = runner.invoke(edge, ["deliver", "--db", db, TN(1), "--name", "Ann", "--json"])
    assert json.loads(delivered.output)["status"] == "delivered"
    again = runner.invoke(edge, ["deliver", "--db", db, TN(1), "--name", "Ann"])
    assert again.exit_code == 1 and again.output.startswith("error: ")
    handover = runner.invoke(edge, ["handover", "--db", db])
    assert "EUR 25.00" in handover.output
    status = runner.invoke(edge, ["status", "--db", db, "--json"])
    assert json.loads(status.output)["waiting"] == 4  # collect wrote 2 documents


def test_bad_input_is_one_line(tmp_path):
    db = str(tmp_path / "hh.db")
    runner = setup_handheld(db)
    for args in (
        ["collect", "--db", db, TN(1), "12.345"],
        ["find", "--db", db, "PS000000000XX"],
        ["fail", "--db", db, TN(1), "--reason", "bored"],
        ["receive", "--db", db, TN(1)],
        ["route", "--db", str(tmp_path / "other.db")],
    ):
        result = runner.invoke(edge, args)
        assert result.exit_code == 1, (args, result.output)
        assert result.output.startswith("error: ") and result.output.count("\n") == 1


def test_every_command_has_help():
    runner = CliRunner()
    for name in edge.commands:
        result = runner.invoke(edge, [name, "--help"])
        assert result.exit_code == 0 and "Usage" in result.output


# Runs ``parcelsync`` commands in a fresh interpreter, then prints which of the
# packages named in its second argument they loaded.
_WHAT_LOADED = """
import json, sys
from parcelsync_cli import main
for args in json.loads(sys.argv[1]):
    try:
        main(args, standalone_mode=False)
    except SystemExit:
        pass
loaded = {name.split(".")[0] for name in sys.modules}
print(json.dumps(sorted(loaded & set(json.loads(sys.argv[2])))))
"""
_SERVING = ["litestar", "jinja2", "yaml", "uvicorn", "reportlab", "server", "httpx"]


def loaded_by(commands: list[list[str]]) -> tuple[str, list[str]]:
    """``(output, serving packages loaded)`` of ``commands`` run in one fresh process."""
    done = subprocess.run(
        [sys.executable, "-c", _WHAT_LOADED, json.dumps(commands), json.dumps(_SERVING)],
        capture_output=True,
        text=True,
        timeout=60,
        cwd=Path(__file__).parent.parent,
    )
    assert done.returncode == 0, done.stderr
    output, _, loaded = done.stdout.strip().rpartition("\n")
    return output, json.loads(loaded)


def test_one_shot_commands_do_not_load_the_server_or_pages(tmp_path):
    db = str(tmp_path / "hh.db")
    setup_handheld(db)
    output, loaded = loaded_by(
        [
            ["edge", "--help"],
            ["edge", "route", "--db", db, "--day", DAY],
            ["edge", "collect", "--db", db, TN(1), "25.00"],
            ["edge", "deliver", "--db", db, TN(1), "--name", "Ann"],
            ["edge", "status", "--db", db],
        ]
    )
    assert "delivered to Ann" in output and "waiting 3" in output, output
    assert loaded == []
    # listing every command (office and report are the server's) does load them
    assert "server" in loaded_by([["--help"]])[1]
