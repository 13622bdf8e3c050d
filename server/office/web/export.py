"""CSV export of any :class:`~server.office.views.Table`, as a download."""

from __future__ import annotations

import csv
import io
import re

from litestar import Response

from ..views import Table
from .formatting import csv_cells, csv_header

_UNSAFE = re.compile(r"[^A-Za-z0-9_.-]+")
_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def _spreadsheet_safe(text: str) -> str:
    """Quote text a spreadsheet would run as a formula (CSV injection); numbers stay."""
    if text.startswith(_FORMULA_START) and not _is_number(text):
        return "'" + text
    return text


def _is_number(text: str) -> bool:
    try:
        float(text)
    except ValueError:
        return False
    return True


def table_csv(table: Table) -> str:
    """Header of column labels, then one line per row, money as decimal amounts, names
    and plain words with the ids and codes beside them."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(csv_header(table.columns))
    for row in table.rows:
        texts = csv_cells(table.columns, row, table.names)
        writer.writerow([_spreadsheet_safe(text) for text in texts])
    return out.getvalue()


def filename(table: Table) -> str:
    """``shipments.csv`` or ``shipments-depot_id-D1.csv`` when filtered."""
    parts = [table.name, *(f"{k}-{v}" for k, v in sorted(table.filters.items()) if v)]
    return _UNSAFE.sub("_", "-".join(parts)) + ".csv"


def csv_response(table: Table) -> Response[str]:
    """The table as a ``text/csv`` attachment."""
    return Response(
        table_csv(table),
        media_type="text/csv; charset=utf-8",
        headers={"content-disposition": f'attachment; filename="{filename(table)}"'},
    )
