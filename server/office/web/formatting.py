"""Cells and figures as text: money from minor units, times, ratios, durations.

The page and the CSV export both go through :func:`row_texts`, so what a
clerk reads on screen is what lands in the spreadsheet (in the CSV without
units, so cells stay numbers: money without the currency code, which has its
own column, ratios as percent without ``%``, durations in whole seconds).
"""

from __future__ import annotations

import re
from datetime import UTC, datetime

from protocol.money import CURRENCY_EXPONENTS, Money

from ..periods import PERIOD_WORDS
from ..views import Cell, Column, Figure, Table
from ..words import plain, who_text

Names = dict[str, dict[str, str]]

_HLC = re.compile(r"^(\d{13})\.\d+\.")


def money_text(amount: int, currency: str, *, with_code: bool = True) -> str:
    """``EUR 12.50`` (or ``12.50``) from minor units; unknown currencies stay raw."""
    if currency not in CURRENCY_EXPONENTS:
        return f"{currency} {amount}".strip() if with_code else str(amount)
    text = Money(amount, currency).format()
    return text if with_code else text.split(" ", 1)[1]


def time_text(value: Cell) -> str:
    """A UTC time from Unix milliseconds or an HLC timestamp; other text unchanged."""
    if isinstance(value, str):
        match = _HLC.match(value)
        if match is None:
            return value
        value = int(match.group(1))
    if value is None:
        return ""
    try:
        moment = datetime.fromtimestamp(value / 1000, tz=UTC)
    except (OverflowError, OSError, ValueError):
        return str(value)  # a stored value no calendar holds: shown as it is
    return moment.strftime("%Y-%m-%d %H:%M UTC")


def duration_text(seconds: float) -> str:
    """``42 s``, ``7 min``, ``3 h 05 min``."""
    whole = round(seconds)
    if whole < 60:
        return f"{whole} s"
    hours, minutes = divmod(whole // 60, 60)
    return f"{hours} h {minutes:02d} min" if hours else f"{minutes} min"


def ratio_text(value: float, *, with_sign: bool = True) -> str:
    """``66.7 %`` (or ``66.7``) from a ratio of 0..1."""
    text = f"{value * 100:.1f}"
    return f"{text} %" if with_sign else text


def figure_text(figure: Figure) -> str:
    """A headline number as a person reads it; ``-`` when it has no value yet."""
    value = figure.value
    if value is None:
        return "-"
    match figure.kind:
        case "ratio":
            return ratio_text(value)
        case "money":
            return money_text(int(value), figure.currency)
        case "seconds":
            return duration_text(value)
    return f"{value:,}" if isinstance(value, int) else f"{value:,.2f}"


def cell_text(
    value: Cell, column: Column, currency: str, *, for_csv: bool = False, names: Names | None = None
) -> str:
    """One cell; ``currency`` is the row's value of ``column.unit`` for money cells;
    ids of named parties as their names, codes in plain words."""
    if value is None:
        return ""
    if column.ref == "who":
        return who_text(str(value), names or {})
    if column.ref:
        return (names or {}).get(column.ref, {}).get(str(value), str(value))
    if column.words:
        return plain(column.words, str(value))
    if column.kind == "money" and isinstance(value, int):
        return money_text(value, currency, with_code=not for_csv)
    if column.kind == "time":
        return time_text(value)
    if column.kind == "ratio" and isinstance(value, int | float):
        return ratio_text(value, with_sign=not for_csv)
    if column.kind == "seconds" and isinstance(value, int | float):
        return str(round(value)) if for_csv else duration_text(value)
    return str(value)


def row_texts(
    columns: list[Column], row: list[Cell], *, for_csv: bool = False, names: Names | None = None
) -> list[str]:
    """Every cell of ``row`` as text, money formatted with the row's currency."""
    position = {column.name: i for i, column in enumerate(columns)}
    texts = []
    for column, value in zip(columns, row, strict=False):
        unit = position.get(column.unit)
        currency = str(row[unit] or "") if unit is not None else ""
        texts.append(cell_text(value, column, currency, for_csv=for_csv, names=names))
    return texts


def choice_text(key: str, choice: str) -> str:
    """A filter's choice as the form shows it (the code is the option's value)."""
    if key == "period":
        return PERIOD_WORDS.get(choice, choice)
    if key == "action":
        return plain("action", choice)
    return choice


def name_of(table: Table, kind: str, party_id: str) -> str:
    """The name ``table`` knows for ``kind`` id ``party_id``, else the id."""
    return table.names.get(kind, {}).get(party_id, party_id)


def shows_code(column: Column) -> bool:
    """True for a column whose cells are ids or codes shown as names or words (the CSV
    adds the raw value beside them, the page puts it on a hover)."""
    return bool(column.ref or column.words)


def csv_header(columns: list[Column]) -> list[str]:
    """Column labels, each named-id or code column followed by its raw one."""
    header = []
    for column in columns:
        header.append(column.label)
        if shows_code(column):
            header.append(f"{column.label} {'id' if column.ref else 'code'}")
    return header


def csv_cells(columns: list[Column], row: list[Cell], names: Names) -> list[str]:
    """A row as the CSV writes it (see :func:`csv_header`)."""
    cells = []
    for column, text, raw in zip(
        columns, row_texts(columns, row, for_csv=True, names=names), row, strict=False
    ):
        cells.append(text)
        if shows_code(column):
            cells.append("" if raw is None else str(raw))
    return cells
