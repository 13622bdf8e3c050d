"""The dashboard pages under ``/office``: overview, live figures, tables, CSV.

Handlers are thin: they read an :class:`~server.office.views.OfficeReader`
and hand the result to a template or to the CSV export.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import urlencode

from litestar import Controller, Request, Response, get
from litestar.exceptions import NotFoundException, ValidationException
from litestar.params import SkipValidation
from litestar.response import ServerSentEvent, Template

from protocol.permissions import Device

from ...core import Central
from ..periods import PERIOD_WORDS
from ..views import OfficeReader, Overview, Table
from .charts import Chart, kpi_charts
from .events import head_stream
from .export import csv_response

HTML_ERRORS = "html_errors"  # handler opt: errors as an HTML page (see .errors)
HTML_FORM = {HTML_ERRORS: True}
# handler opt: without a session, redirect to the login form; errors as a page
LOGIN_PAGE = {"login_page": True, HTML_ERRORS: True}
RESERVED_QUERY = {"format"}
# a Protocol cannot be isinstance-checked: the provider's type is trusted
Reader = SkipValidation[OfficeReader]
MAX_FILTER_KEY, MAX_FILTER_VALUE = 40, 200


def wants_csv(request: Request[Any, Any, Any]) -> bool:
    """True for ``/office/tables/NAME.csv`` and ``?format=csv``."""
    return request.url.path.endswith(".csv") or request.query_params.get("format") == "csv"


def requested_filters(request: Request[Any, Any, Any]) -> dict[str, str]:
    """The table filters in the query string (empty values dropped), bounded in size."""
    filters = {}
    for key, value in request.query_params.items():
        if key in RESERVED_QUERY or not value.strip():
            continue
        if len(key) > MAX_FILTER_KEY or len(value) > MAX_FILTER_VALUE:
            raise ValidationException(f"{key[:MAX_FILTER_KEY]}: filter value is too long")
        filters[key] = value.strip()
    return filters


async def read_table(reader: OfficeReader, name: str, filters: dict[str, str]) -> Table:
    """``reader.table`` with its errors as 404 (unknown table) or 400 (bad filter)."""
    if name not in reader.table_names:
        known = ", ".join(reader.table_names)
        raise NotFoundException(f"name: no table {name!r}; tables are {known}")
    try:
        return await reader.table(name, filters)
    except KeyError as exc:
        raise ValidationException(f"{exc.args[0] if exc.args else name}: unknown filter") from None
    except ValueError as exc:
        raise ValidationException(str(exc)) from None


async def read_overview(reader: OfficeReader, filters: dict[str, str]) -> Overview:
    """``reader.overview`` with a bad period as a 400 naming the field."""
    try:
        return await reader.overview(filters)
    except ValueError as exc:
        raise ValidationException(str(exc)) from None


class OfficePages(Controller):
    """Every handler takes ``office_device``: resolving it is the login check."""

    path = "/office"
    include_in_schema = False

    @get("/", opt=LOGIN_PAGE)
    async def overview(
        self, request: Request[Any, Any, Any], office_device: Device, office_service: Reader
    ) -> Template:
        """The overview of a period (``?period=today`` or ``from`` / ``to``): KPIs, COD,
        exceptions, refreshed live."""
        filters = requested_filters(request)
        context = {
            "overview": await read_overview(office_service, filters),
            "query": urlencode(filters),
            "periods": PERIOD_WORDS,
        }
        return Template("overview.html", context=context | nav_context(office_service))

    @get("/overview/figures")
    async def figures(
        self, request: Request[Any, Any, Any], office_device: Device, office_service: Reader
    ) -> Template:
        """The overview's figures alone (the fragment the page swaps in on each event)."""
        overview = await read_overview(office_service, requested_filters(request))
        return Template("_figures.html", context={"overview": overview})

    @get("/events")
    async def events(self, office_device: Device, central: Central) -> ServerSentEvent:
        """Server-sent ``head`` events as syncs arrive."""
        return head_stream(central.feed, office_device)

    @get("/tables/{name:str}", opt=LOGIN_PAGE)
    async def table(
        self,
        request: Request[Any, Any, Any],
        name: str,
        office_device: Device,
        office_service: Reader,
    ) -> Template | Response[str]:
        """A drill-down table with its filter form; CSV with ``.csv`` or ``?format=csv``."""
        as_csv = wants_csv(request)
        table = await read_table(
            office_service, name.removesuffix(".csv"), requested_filters(request)
        )
        if as_csv:
            return csv_response(table)
        context = {
            "table": table,
            "fields": filter_fields(table),
            "statements": statement_queries(table),
            "charts": await charts_of(office_service, table),
        }
        return Template("table.html", context=context | nav_context(office_service))


CHART_FILTERS = ("group", "key", "from", "to", "period")


async def charts_of(reader: OfficeReader, table: Table) -> list[Chart]:
    """The KPI table's charts over days, for the same group and period."""
    if table.name != "kpis" or table.filters.get("group") == "day":
        return []
    wanted = {k: v for k, v in table.filters.items() if k in CHART_FILTERS}
    if "period" in wanted:  # the table's filters already hold the days it stands for
        wanted.pop("period")
    return kpi_charts(await read_table(reader, "kpi_days", wanted))


def filter_fields(table: Table) -> dict[str, str]:
    """Every filter ``table`` accepts with its current value, for the filter form."""
    return {key: table.filters.get(key, "") for key in [*table.accepted_filters, *table.filters]}


def statement_queries(table: Table) -> list[str]:
    """Merchants table: each row's statement query (its merchant and the period shown)."""
    names = [column.name for column in table.columns]
    if table.name != "merchants" or "merchant_id" not in names:
        return []
    i = names.index("merchant_id")
    period = {k: v for k, v in table.filters.items() if k in ("from", "to")}
    return [urlencode({"merchant": row[i] or "", **period}) for row in table.rows]


def nav_context(reader: OfficeReader) -> dict[str, Any]:
    return {"table_names": reader.table_names}
