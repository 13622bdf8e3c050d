"""The office service: reconciliation, KPIs and exceptions as tables and figures.

:class:`OfficeService` implements :class:`server.office.views.OfficeReader`
over central's store. It keeps every document folded
(:class:`~server.office.folded.FoldedDocuments`, refreshed incrementally
from the update log), reconciles once per update-log head (and fee terms /
cash limits / today) with the pure :mod:`protocol.reconcile`, and keeps that
result until something changes; tables and the overview are cheap views
over it.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date
from zoneinfo import ZoneInfo

import msgspec
from msgspec.structs import replace

from protocol.alerts import Alert, DeviceSeen, Thresholds, exceptions
from protocol.kpis import KpiRow, counts_of, kpis
from protocol.ledger import ShipmentRecord, cod_line, day_of
from protocol.reconcile import Reconciliation
from protocol.statement import FeeTerms, Period, Statement, statements
from sync.store import ReplicaStore

from .figures import overview_of
from .filters import apply_filters, check_filters, period_of
from .folded import FoldedDocuments
from .loader import (
    load_audit,
    load_devices,
    load_limits,
    load_party_names,
    load_shipment,
    load_terms,
)
from .periods import NAMED, Span, by_day, expand_period, local_day, recent_days, restrict
from .rows import Sources
from .tables import OVERVIEW_FILTERS, SPECS
from .views import Cell, Column, Overview, Table
from .words import flat_names, name_ids

DAY_MS = 86_400_000
KPI_GROUP = "depot"  # the kpis table's group when no filter names one


def wall_ms() -> int:
    """Unix milliseconds now (the default clock)."""
    return time.time_ns() // 1_000_000


@dataclass(frozen=True, slots=True)
class _Cached:
    key: tuple[object, ...]
    head: int
    recon: Reconciliation
    terms: dict[str, FeeTerms]


class OfficeService:
    """What head office reads: every table of :data:`SPECS` and the overview."""

    table_names = tuple(SPECS)

    def __init__(
        self,
        store: ReplicaStore,
        *,
        clock_ms: Callable[[], int] = wall_ms,
        thresholds: Thresholds | None = None,
        cod_overdue_ms: int = 2 * DAY_MS,
        zone: ZoneInfo | None = None,
    ):
        self.store, self.clock_ms = store, clock_ms
        self.zone = zone or ZoneInfo("UTC")  # the operation's: days of periods and charts
        self.thresholds = thresholds or Thresholds()
        self.cod_overdue_ms = cod_overdue_ms
        self.documents = FoldedDocuments()
        self._cached: _Cached | None = None

    async def reconciliation(self) -> tuple[Reconciliation, int]:
        """The reconciliation now and the log head it was computed at (cached per head)."""
        terms, limits = await load_terms(self.store), await load_limits(self.store)
        today = _day(self.clock_ms())
        head = await self.documents.refresh(self.store)
        key = (head, today, tuple(sorted(terms.items())), tuple(sorted(limits.items())))
        if self._cached is None or self._cached.key != key:
            recon = self.documents.reconcile(
                terms=terms, limits=limits, period=Period(), today=today
            )
            self._cached = _Cached(key, head, recon, terms)
        return self._cached.recon, self._cached.head

    async def what_if(self, record: ShipmentRecord) -> Reconciliation:
        """The reconciliation of one shipment as ``record`` says (e.g. with a resolution
        not written yet), against every cash book as they are now."""
        terms, limits = await load_terms(self.store), await load_limits(self.store)
        await self.documents.refresh(self.store)
        return self.documents.reconcile_one(
            cod_line(record), terms=terms, limits=limits, today=_day(self.clock_ms())
        )

    async def shipment_record(self, doc_id: str) -> ShipmentRecord | None:
        """One shipment's record as stored now."""
        return await load_shipment(self.store, doc_id)

    async def statements(self, period: Period) -> list[Statement]:
        """Every merchant's statement for ``period``."""
        recon, _ = await self.reconciliation()
        assert self._cached is not None
        return statements(recon.lines.values(), self._cached.terms, period)

    async def devices(self) -> list[DeviceSeen]:
        """Enrolled, unrevoked devices with last seen, health and quarantined items."""
        return await load_devices(self.store)

    async def alerts(self) -> list[Alert]:
        """Every open exception now."""
        recon, _ = await self.reconciliation()
        return exceptions(recon, await self.devices(), self.thresholds, self.clock_ms())

    def today(self) -> date:
        """Today in the operation's time zone, by the service's clock."""
        return date.fromisoformat(local_day(self.clock_ms(), self.zone))

    def span(self, filters: dict[str, str]) -> tuple[dict[str, str], Span]:
        """``filters`` with a named ``period`` expanded to ``from`` / ``to``, and their span."""
        expanded = expand_period(filters, self.today())
        return expanded, Span(expanded.get("from", ""), expanded.get("to", ""))

    async def overview(self, filters: dict[str, str] | None = None) -> Overview:
        """KPIs and COD figures of a period (``period`` or ``from`` / ``to``; all time
        without), cash positions and open exceptions now."""
        given = dict(filters or {})
        check_filters("overview", OVERVIEW_FILTERS, given)
        _, span = self.span(given)
        recon, head = await self.reconciliation()
        period = restrict(recon, span, self.zone)
        rows = self._kpis(period, "all")  # one per currency: the counts add up, amounts do not
        overview = overview_of(period, counts_of(rows) if rows else None, await self.alerts(), head)
        return msgspec.structs.replace(
            overview, period=given.get("period", ""), start=span.start, end=span.end
        )

    async def table(self, name: str, filters: dict[str, str]) -> Table:
        """Table ``name`` filtered: ``KeyError`` for a bad name, ``ValueError`` for a filter."""
        spec = SPECS[name]
        check_filters(name, spec, filters)
        given, (filters, span) = dict(filters), self.span(filters)
        recon, _ = await self.reconciliation()
        group = filters.get("group") or KPI_GROUP
        period = period_of(filters) if spec.period else Period()
        sources = Sources(
            recon=recon,
            statements=await self.statements(period) if spec.period else [],
            devices=await self.devices() if name == "devices" else [],
            alerts=await self.alerts() if name == "exceptions" else [],
            kpis=self._kpis(restrict(recon, span, self.zone), group) if name == "kpis" else [],
            kpi_days=self._kpi_days(recon, span, group) if name == "kpi_days" else [],
            audit=await load_audit(self.store) if name == "audit" else [],
        )
        names = await self.names(recon)
        rows = named_in_text(
            spec.columns, apply_filters(spec, spec.rows(sources), filters, self.zone), names
        )
        columns = spec.columns
        if name in ("kpis", "kpi_days") and group not in (
            "day",
            "all",
        ):  # the key is a depot, courier or merchant id
            columns = [replace(columns[0], ref=group), *columns[1:]]
        return Table(
            name,
            spec.title,
            columns,
            rows,
            filters | ({"period": given["period"]} if given.get("period") else {}),
            accepted_filters=(["period"] if "from" in spec.filters else []) + list(spec.filters),
            filter_choices={key: list(values) for key, values in spec.choices.items()}
            | ({"period": list(NAMED)} if "from" in spec.filters else {}),
            names=names_in(names, rows),
        )

    async def names(self, recon: Reconciliation) -> dict[str, dict[str, str]]:
        """kind -> id -> what people read: party names, and shipments by tracking number."""
        names = await load_party_names(self.store)
        names["shipment"] = {d: line.info.tracking_number for d, line in recon.lines.items()}
        return names

    def _kpi_days(self, recon: Reconciliation, span: Span, group: str) -> list[tuple[str, KpiRow]]:
        """Each day's KPI rows per ``group`` key (the last 14 days without a closed span),
        sorted by key then day, every day present for every key (a day with no
        shipments has an empty row)."""
        days = span.days() or recent_days(self.today())
        daily = [(day, self._kpis(r, group)) for day, r in by_day(recon, days, self.zone)]
        keys = sorted({(k.key, k.currency) for _, rows in daily for k in rows})
        found = {(day, k.key, k.currency): k for day, rows in daily for k in rows}
        return [
            (day, found.get((day, key, cur)) or KpiRow(group, key, currency=cur))
            for key, cur in keys
            for day in days
        ]

    def _kpis(self, recon: Reconciliation, group: str) -> list[KpiRow]:
        return kpis(recon, group, self.clock_ms(), self.cod_overdue_ms)


def names_in(names: dict[str, dict[str, str]], rows: list[list[Cell]]) -> dict[str, dict[str, str]]:
    """The names of the ids ``rows`` hold (bare, or as ``kind:id``), not every name known."""
    held: set[str] = set()
    for row in rows:
        for cell in row:
            if isinstance(cell, str) and cell:
                held.add(cell)
                held.add(cell.partition(":")[2])
    return {
        kind: {party: name for party, name in known.items() if party in held}
        for kind, known in names.items()
    }


PROSE = frozenset({"action", "detail", "message"})  # free text that may name a party by id


def named_in_text(
    columns: list[Column], rows: list[list[Cell]], names: dict[str, dict[str, str]]
) -> list[list[Cell]]:
    """Rows whose prose cells name couriers, depots, merchants and devices by name."""
    flat = flat_names(names)
    prose = [i for i, c in enumerate(columns) if c.name in PROSE]
    if not flat or not prose:
        return rows
    out = []
    for row in rows:
        row = list(row)
        for i in prose:
            if isinstance(row[i], str):
                row[i] = name_ids(str(row[i]), flat)
        out.append(row)
    return out


def _day(ms: int) -> str:
    return day_of(f"{ms:013d}")
