"""Reorder suggestions per merchant, depot and SKU from the stock movements on central.

Movements are the ``restocked`` (in) and ``dispatched`` (out) events of return
documents, and the ``stock_moved`` ones into or out of available units (a
quarantine released, units disposed or sent back: on hand changes, demand does
not); demand is the units dispatched per day. The rules are
:mod:`protocol.reorder`; this module only reads the rows and groups them.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass, field

import msgspec

from protocol.ledger import day_of
from protocol.reorder import Policy, advice, daily_series, suggest
from protocol.vocab import StockSource, StockState
from sync.store import ReplicaStore

from .schemas import ReorderOut
from .store import stock_moves

HISTORY_DAYS = 180  # demand older than this does not shape the forecast


@dataclass
class _Key:
    on_hand: int = 0
    first: dt.date | None = None
    outflows: list[tuple[dt.date, int]] = field(default_factory=list)


class ReorderService:
    """Suggestions as of a day (default: central's UTC day by ``wall_ms``)."""

    def __init__(self, store: ReplicaStore, wall_ms: Callable[[], int]):
        self.store, self.wall_ms = store, wall_ms

    def today(self) -> dt.date:
        """Central's UTC day."""
        return dt.datetime.fromtimestamp(self.wall_ms() / 1000, dt.UTC).date()

    async def suggestions(
        self,
        merchant_id: str | None,
        policy: Policy,
        as_of: dt.date | None = None,
        depot_id: str = "",
        sku: str = "",
    ) -> list[ReorderOut]:
        """One row per (merchant, depot, SKU) with movements up to ``as_of``; most urgent first."""
        day = as_of or self.today()
        keys = await self._movements(merchant_id, day)
        out = []
        for (merchant, depot, item), key in sorted(keys.items()):
            if (depot_id and depot != depot_id) or (sku and item != sku) or key.first is None:
                continue
            start = max(key.first, day - dt.timedelta(days=HISTORY_DAYS - 1))
            s = suggest(key.on_hand, daily_series(key.outflows, start, day), day, policy)
            out.append(
                ReorderOut(
                    merchant_id=merchant,
                    depot_id=depot,
                    sku=item,
                    on_hand=s.on_hand,
                    method=s.forecast.method.value,
                    daily_demand=round(s.forecast.rate, 3),
                    days_of_cover=None if s.days_of_cover is None else round(s.days_of_cover, 1),
                    stockout_date=s.stockout_date.isoformat() if s.stockout_date else None,
                    safety_stock=s.safety_stock,
                    reorder_point=s.reorder_point,
                    reorder_quantity=s.reorder_quantity,
                    alert=s.alert.value,
                    advice=advice(s, policy),
                    as_of=day.isoformat(),
                )
            )
        return sorted(out, key=lambda r: (r.stockout_date is None, r.stockout_date or ""))

    async def _movements(
        self, merchant_id: str | None, day: dt.date
    ) -> dict[tuple[str, str, str], _Key]:
        keys: dict[tuple[str, str, str], _Key] = {}
        for merchant, kind, hlc, payload in await stock_moves(self.store, merchant_id):
            moved = dt.date.fromisoformat(day_of(hlc))
            if moved > day:
                continue
            body = msgspec.json.decode(payload or "{}")
            if kind == "stock_moved" and not _available_change(body, 1):
                continue  # between states other than available: not stock on hand
            key = keys.setdefault((merchant or "", body["depot_id"], body["sku"]), _Key())
            quantity = int(body["quantity"])
            key.first = min(key.first or moved, moved)
            if kind == "dispatched":
                key.on_hand -= quantity
                key.outflows.append((moved, quantity))
            elif kind == "restocked":
                key.on_hand += quantity
            else:
                key.on_hand += _available_change(body, quantity)
        return keys


def _available_change(body: dict[str, object], quantity: int) -> int:
    """What a ``stock_moved`` payload does to the available units."""
    into = quantity if body.get("target") == StockState.AVAILABLE else 0
    out = quantity if body.get("source") == StockSource.AVAILABLE else 0
    return into - out
