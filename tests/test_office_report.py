"""``parcelsync report`` prints the same numbers the office service gives the pages."""

from __future__ import annotations

import asyncio
import csv
import io
import json
from pathlib import Path

import msgspec
from click.testing import CliRunner

from parcelsync_cli import main
from protocol.commands import DocCommand
from protocol.info import CashBookInfo, ShipmentInfo
from server.office.service import OfficeService
from server.store import CentralStore
from sync import commit_commands

from .reconcile_world import delivered_and_paid, e

MERCHANT = "M-report"


async def _write_world(path: Path) -> None:
    """Two delivered COD parcels, cash collected and handed over, fee terms set."""
    async with await CentralStore.open(path) as store:
        commands = []
        for n, amount in enumerate((1000, 2500)):
            info = ShipmentInfo(
                merchant_id=MERCHANT,
                tracking_number=f"TN{n}",
                currency="EUR",
                cod_amount=amount,
                depot_id="D1",
                courier_id="C1",
            )
            events = [e("created", 0, n), *delivered_and_paid(f"s{n}", 10 + n * 10, amount)]
            commands.append(
                (f"s{n}", DocCommand.build("create", "shipment", events, info=info_map(info)))
            )
        book = CashBookInfo(owner_kind="courier", owner_id="C1", day="2026-01-01", currency="EUR")
        cash = [e("collected", 50, "s0", shipment_id="s0", amount=1000)]
        commands.append(
            ("book", DocCommand.build("collect", "cashbook", cash, info=info_map(book)))
        )
        await commit_commands(store, commands, device_id="central", queue=False)
        async with store.transaction() as db:
            await db.execute(
                "INSERT INTO merchant_terms VALUES (?, 250, 10, 0, 'test')", (MERCHANT,)
            )


def info_map(info: object) -> dict[str, object]:
    built: dict[str, object] = msgspec.to_builtins(info)
    return built


async def _service_rows(path: Path, name: str, filters: dict[str, str]) -> list[list[object]]:
    async with await CentralStore.open(path) as store:
        return (await OfficeService(store).table(name, filters)).rows


def test_report_cod_matches_the_service(tmp_path: Path) -> None:
    db = tmp_path / "central.db"
    asyncio.run(_write_world(db))
    runner = CliRunner()
    args = ["report", "cod", "--merchant", MERCHANT, "--from", "2026-01-01", "--to", "2026-01-01"]
    text = runner.invoke(main, [*args, "--db", str(db)])
    assert text.exit_code == 0, text.output
    summary = text.output.splitlines()[2]  # title, header, the merchant's row
    assert "EUR 35.00" in summary and "EUR 1.08" in summary and "EUR 33.92" in summary
    as_csv = runner.invoke(main, [*args, "--csv", "--db", str(db)])
    rows = list(csv.DictReader(io.StringIO(as_csv.output)))
    filters = {"merchant": MERCHANT, "from": "2026-01-01", "to": "2026-01-01"}
    lines = asyncio.run(_service_rows(db, "statement", filters))
    assert [r["Payable"] for r in rows] == [f"{int(str(line[10])) / 100:.2f}" for line in lines]
    # 1000: 25 + 10 fee; 2500: 62.5 -> 63 (half up) + 10
    assert [r["Fee"] for r in rows] == ["0.35", "0.73"]


def test_report_reconcile_json_matches_the_service(tmp_path: Path) -> None:
    db = tmp_path / "central.db"
    asyncio.run(_write_world(db))
    result = CliRunner().invoke(main, ["report", "reconcile", "--json", "--db", str(db)])
    assert result.exit_code == 0, result.output
    body = json.loads(result.output)
    couriers = asyncio.run(_service_rows(db, "couriers", {}))
    assert body["tables"]["couriers"]["rows"] == couriers
    (courier,) = couriers
    assert courier[4] == 1000  # in hand
    figures = {f["name"]: f["value"] for f in body["overview"]["cod"]}
    assert (figures["expected_EUR"], figures["collected_EUR"]) == (3500, 3500)


def test_report_without_a_database_says_which_file(tmp_path: Path) -> None:
    missing = tmp_path / "nope.db"
    result = CliRunner().invoke(main, ["report", "reconcile", "--db", str(missing)])
    assert result.exit_code != 0 and str(missing) in result.output
    assert not missing.exists()
    bad = CliRunner().invoke(main, ["report", "cod", "--merchant", "M", "--from", "soon"])
    assert bad.exit_code == 2 and "YYYY-MM-DD" in bad.output
