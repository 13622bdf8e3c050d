"""``parcelsync edge`` for returns: the courier's pickups, the depot's routing of a return and
its stock moves, with one-line refusals (exit code 1) that change nothing."""

from __future__ import annotations

import asyncio
import json

from click.testing import CliRunner

from edge.cli import edge
from edge.store import EdgeStore
from protocol.commands import DocCommand
from protocol.events import ItemInspection, ItemsInspected, ReturnReceived
from tests._edge_world import DAY, DEPOT, named_id, return_command, seed

R1 = named_id("test-return", "c1")


def enrolled(db: str, role: str, *more: str) -> CliRunner:
    runner = CliRunner()
    args = ["enroll", "--db", db, "--device-id", f"{role}-1", "--role", role, "--depot", DEPOT]
    result = runner.invoke(edge, [*args, *more])
    assert result.exit_code == 0, result.output
    return runner


def test_the_courier_lists_and_picks_up_its_returns(tmp_path):
    db = str(tmp_path / "hh.db")
    runner = enrolled(db, "courier", "--courier", "C1")
    asyncio.run(_seed(db, [return_command("c1", day=DAY)]))
    listed = runner.invoke(edge, ["pickups", "--db", db, "--day", DAY])
    assert listed.exit_code == 0 and "Radu Ionescu, Calea Victoriei 15 Bucuresti" in listed.output
    assert "(2 unit(s), requested)" in listed.output
    done = runner.invoke(edge, ["pickup-return", "--db", db, R1, "--name", "Radu", "--json"])
    assert done.exit_code == 0, done.output
    assert json.loads(done.output)["status"] == "picked_up"
    again = runner.invoke(edge, ["pickup-return", "--db", db, R1])
    assert again.exit_code == 1 and "already picked_up" in again.output


def test_the_depot_routes_a_return_and_moves_its_stock(tmp_path):
    db = str(tmp_path / "depot.db")
    runner = enrolled(db, "depot")
    asyncio.run(_seed(db, [return_command("c1", courier="")]))
    routed = runner.invoke(
        edge, ["assign-return", "--db", db, R1, "--courier", "C1", "--day", DAY, "--seq", "3"]
    )
    assert routed.exit_code == 0 and f"pickup assigned to C1 on {DAY} stop 3" in routed.output
    asyncio.run(_seed(db, [(R1, _graded())]))
    moves = (
        (["SKU-1", "--qty", "2", "--to", "quarantined"], 0, "SKU-1: 2 quarantined"),
        (["SKU-1", "--from", "quarantined", "--to", "returned_to_merchant"], 1, "received_by"),
        (["SKU-1", "--from", "quarantined", "--to", "lost"], 1, "target must be one of"),
        (["SKU-1", "--from", "quarantined", "--to", "available"], 0, "released to stock"),
    )
    for args, code, words in moves:
        result = runner.invoke(edge, ["move-stock", "--db", db, R1, *args])
        assert (result.exit_code, words in result.output) == (code, True), result.output
    stock = runner.invoke(edge, ["stock", "--db", db])
    assert stock.output.splitlines() == ["SKU-1 available: 1", "SKU-1 quarantined: 1"]


def _graded() -> DocCommand:
    """What the desk's own earlier commands recorded: received, then graded."""
    stamp = {"device": "depot-1", "actor": "depot-1"}
    received = ReturnReceived(
        id=named_id("received", "c1"), hlc=f"{1_714_636_900_000:013d}.000000.depot-1",
        payload=ReturnReceived.Body(DEPOT), **stamp,
    )  # fmt: skip
    items = [ItemInspection("SKU-1", "damaged", "quarantine", 2)]
    graded = ItemsInspected(
        id=named_id("inspected", "c1"), hlc=f"{1_714_636_901_000:013d}.000000.depot-1",
        payload=ItemsInspected.Body(items), **stamp,
    )  # fmt: skip
    return DocCommand.build("grade", "return", [received, graded])


async def _seed(db: str, commands: list[tuple[str, DocCommand]]) -> None:
    async with await EdgeStore.open(db) as store:
        await seed(store, commands)
