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

from msgspec.structs import replace

from protocol.alerts import Alert, DeviceSeen, Thresholds, exceptions
from protocol.kpis import KpiRow, counts_of, kpis
from protocol.ledger import day_of
from protocol.reconcile import Reconciliation
from protocol.statement import FeeTerms, Period, Statement, statements
from sync.store import ReplicaStore

from .figures import overview_of
from .filters import apply_filters, check_filters, period_of
from .folded import FoldedDocuments
from .loader import load_audit, load_devices, load_limits, load_party_names, load_terms
from .rows import Sources
from .tables import SPECS
from .views import Overview, Table

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
    ):
        self.store, self.clock_ms = store, clock_ms
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

    async def overview(self) -> Overview:
        """KPIs, exception counts and COD totals now."""
        recon, head = await self.reconciliation()
        rows = self._kpis(recon, "all")  # one per currency: the counts add up, amounts do not
        return overview_of(recon, counts_of(rows) if rows else None, await self.alerts(), head)

    async def table(self, name: str, filters: dict[str, str]) -> Table:
        """Table ``name`` filtered: ``KeyError`` for a bad name, ``ValueError`` for a filter."""
        spec = SPECS[name]
        check_filters(name, spec, filters)
        recon, _ = await self.reconciliation()
        group = filters.get("group") or KPI_GROUP
        period = period_of(filters) if spec.period else Period()
        sources = Sources(
            recon=recon,
            statements=await self.statements(period) if spec.period else [],
            devices=await self.devices() if name == "devices" else [],
            alerts=await self.alerts() if name == "exceptions" else [],
            kpis=self._kpis(recon, group) if name == "kpis" else [],
            audit=await load_audit(self.store) if name == "audit" else [],
        )
        rows = apply_filters(spec, spec.rows(sources), filters)
        columns = spec.columns
        if name == "kpis" and group != "day":  # the key is a depot, courier or merchant id
            columns = [replace(columns[0], ref=group), *columns[1:]]
        return Table(
            name,
            spec.title,
            columns,
            rows,
            dict(filters),
            accepted_filters=list(spec.filters),
            filter_choices={key: list(values) for key, values in spec.choices.items()},
            names=await self.names(recon),
        )

    async def names(self, recon: Reconciliation) -> dict[str, dict[str, str]]:
        """kind -> id -> what people read: party names, and shipments by tracking number."""
        names = await load_party_names(self.store)
        names["shipment"] = {d: line.info.tracking_number for d, line in recon.lines.items()}
        return names

    def _kpis(self, recon: Reconciliation, group: str) -> list[KpiRow]:
        return kpis(recon, group, self.clock_ms(), self.cod_overdue_ms)


def _day(ms: int) -> str:
    return day_of(f"{ms:013d}")
