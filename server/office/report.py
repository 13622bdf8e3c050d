"""``parcelsync report``: the office tables from the command line.

Opens the central server's SQLite file and prints the same
:class:`~server.office.views.Table` the dashboard shows, through the same
:class:`~server.office.service.OfficeService` and the same cell formatting,
so the numbers agree with the pages.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from datetime import date
from pathlib import Path
from typing import TypeVar
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import click
import msgspec

from ..store import CentralStore
from .service import OfficeService
from .views import Overview, Table
from .web.export import table_csv
from .web.formatting import figure_text, row_texts

DEFAULT_DB = "var/central.db"
RECONCILE_TABLES = ("couriers", "depots", "merchants", "remittances", "discrepancies", "conflicts")
T = TypeVar("T")


def _with_office(
    db_path: str, work: Callable[[OfficeService], Awaitable[T]], zone: str = "UTC"
) -> T:
    if not Path(db_path).is_file():
        raise click.ClickException(
            f"no central database at {db_path}: pass --db with the file `parcelsync server` uses"
        )

    async def run() -> T:
        async with await CentralStore.open(db_path) as store:
            return await work(OfficeService(store, zone=ZoneInfo(zone)))

    return asyncio.run(run())


def render(table: Table) -> str:
    """A table as aligned text: a title line, a header, one line per row."""
    head = [c.label for c in table.columns]
    body = [row_texts(table.columns, row) for row in table.rows]
    widths = [max(len(t) for t in column) for column in zip(head, *body, strict=True)]
    right = [c.kind in ("money", "int") for c in table.columns]

    def line(texts: list[str]) -> str:
        cells = [
            t.rjust(w) if r else t.ljust(w) for t, w, r in zip(texts, widths, right, strict=True)
        ]
        return "  ".join(cells).rstrip()

    filters = ", ".join(f"{k}={v}" for k, v in sorted(table.filters.items()) if v)
    title = f"{table.title}" + (f" ({filters})" if filters else "")
    return "\n".join([title, line(head), *(line(texts) for texts in body)])


def _day(_ctx: click.Context, _param: click.Parameter, value: str | None) -> str:
    if not value:
        return ""
    try:
        return date.fromisoformat(value).isoformat()
    except ValueError:
        raise click.BadParameter(f"{value!r} is not a date YYYY-MM-DD") from None


db_option = click.option(
    "--db",
    "db_path",
    default=DEFAULT_DB,
    show_default=True,
    help="SQLite file of the central server (as given to `parcelsync server --db`).",
)


@click.group()
def report() -> None:
    """Head-office reports: COD statements and the reconciliation, as the pages show them."""


@report.command()
@click.option("--merchant", required=True, help="Merchant id.")
@click.option("--from", "start", callback=_day, default=None, help="First day (YYYY-MM-DD).")
@click.option("--to", "end", callback=_day, default=None, help="Last day (YYYY-MM-DD).")
@click.option("--csv", "as_csv", is_flag=True, help="Print the statement lines as CSV.")
@db_option
def cod(merchant: str, start: str, end: str, as_csv: bool, db_path: str) -> None:
    """A merchant's COD statement: delivered COD, fees, reversals, frozen, payable."""
    filters = {"merchant": merchant, "from": start, "to": end}

    async def work(office: OfficeService) -> tuple[Table, Table]:
        return (
            await office.table("merchants", filters),
            await office.table("statement", filters),
        )

    summary, lines = _with_office(db_path, work)
    if as_csv:
        click.echo(table_csv(lines), nl=False)
        return
    click.echo(render(summary))
    click.echo()
    click.echo(render(lines))


def _overview_text(overview: Overview) -> str:
    figures = [*overview.kpis, *overview.cod, *overview.exceptions]
    width = max((len(f.label) for f in figures), default=0)
    return "\n".join(f"{f.label.ljust(width)}  {figure_text(f)}" for f in figures)


def _zone(_ctx: click.Context, _param: click.Parameter, value: str) -> str:
    try:
        ZoneInfo(value)
    except (ZoneInfoNotFoundError, ValueError):
        raise click.BadParameter(f"{value!r} is not a time zone (like Europe/Sofia)") from None
    return value


@report.command()
@click.option("--json", "as_json", is_flag=True, help="Print one JSON object.")
@click.option(
    "--period",
    type=click.Choice(["today", "yesterday", "week", "month"]),
    default=None,
    help="The overview's figures for this period (in --time-zone).",
)
@click.option("--from", "start", callback=_day, default=None, help="First day (YYYY-MM-DD).")
@click.option("--to", "end", callback=_day, default=None, help="Last day (YYYY-MM-DD).")
@click.option(
    "--time-zone",
    "zone",
    default="UTC",
    show_default=True,
    callback=_zone,
    help="The operation's time zone (as given to `parcelsync server --time-zone`).",
)
@db_option
def reconcile(
    as_json: bool, period: str | None, start: str, end: str, zone: str, db_path: str
) -> None:
    """The reconciliation: the overview's figures (of a period, all time without one),
    couriers, depots, merchants, discrepancies."""
    filters = {k: v for k, v in {"period": period, "from": start, "to": end}.items() if v}
    shipments = {k: v for k, v in filters.items() if k != "period"}

    async def work(office: OfficeService) -> tuple[Overview, list[Table]]:
        overview = await office.overview(filters)
        tables = [
            await office.table(n, shipments if n == "merchants" else {}) for n in RECONCILE_TABLES
        ]
        return overview, tables

    try:
        overview, tables = _with_office(db_path, work, zone)
    except ValueError as exc:
        raise click.BadParameter(str(exc)) from None
    if as_json:
        body = {"overview": overview, "tables": {t.name: t for t in tables}}
        click.echo(msgspec.json.encode(body).decode())
        return
    click.echo(_overview_text(overview))
    for table in tables:
        click.echo()
        click.echo(render(table))
