"""What the office service hands to every reader: pages, CSV export, reports.

One shape for every table keeps rendering and export generic: a page renders
any :class:`Table`, the CSV export writes any :class:`Table`, and the report
command prints the same :class:`Table` the page shows, so the numbers agree.
Money cells hold integer minor units; ``Column.unit`` names the currency
column that formats them.
"""

from __future__ import annotations

from typing import Protocol

import msgspec

Cell = str | int | float | None  # float only in "ratio" and "seconds" columns


class Column(msgspec.Struct, frozen=True):
    """A column: machine name, human label, and how to format its cells."""

    name: str
    label: str
    kind: str = "text"  # "text" | "int" | "money" | "time" | "link" | "ratio" | "seconds"
    unit: str = ""  # for "money": the name of the column holding the currency
    link: str = ""  # for "link": the page path the cell's id is appended to
    ref: str = ""  # the cell is the id of a "merchant", "depot", "courier" or "device"
    words: str = ""  # the cell is a code of this vocabulary (server.office.words)


class Table(msgspec.Struct, frozen=True):
    """A named table of rows, already filtered."""

    name: str
    title: str
    columns: list[Column]
    rows: list[list[Cell]]
    filters: dict[str, str] = {}
    accepted_filters: list[str] = []  # every filter the table takes, applied or not
    filter_choices: dict[str, list[str]] = {}  # filters that take one of a few values
    names: dict[str, dict[str, str]] = {}  # ref kind -> id -> name, for the ids in the rows


class Figure(msgspec.Struct, frozen=True):
    """One headline number on the overview (a KPI, an exception count, a total)."""

    name: str
    label: str
    value: int | float | None
    kind: str = "int"  # "int" | "ratio" | "money" | "seconds"
    currency: str = ""
    table: str = ""  # the drill-down table behind this figure, if any


class Overview(msgspec.Struct, frozen=True):
    """The dashboard's overview: KPIs, exception counts, COD totals."""

    kpis: list[Figure]
    exceptions: list[Figure]
    cod: list[Figure]
    as_of_seq: int  # the update-log head the figures were computed at
    period: str = ""  # "today", "yesterday", "week", "month", "range" or "" (all time)
    start: str = ""  # the period's first and last day ("": open)
    end: str = ""


class OfficeReader(Protocol):
    """What the dashboard, the CSV export and the report command read."""

    table_names: tuple[str, ...]

    async def overview(self, filters: dict[str, str] | None = None) -> Overview:
        """KPIs and COD figures of a period, cash positions and exceptions now."""
        ...

    async def table(self, name: str, filters: dict[str, str]) -> Table:
        """Table ``name`` with ``filters`` applied; ``KeyError`` for an unknown name."""
        ...
