"""``GET /api/v1/stock/totals``: a merchant's returned units per SKU across depots, per state.

States (see :mod:`protocol.stock`): available, quarantined, disposed and
returned to the merchant, each the sum of every return's movements; each SKU
also lists its depots. ``/api/v1/stock`` (available units per depot) and
``/api/v1/stock/reorder`` stay as they were.
"""

from __future__ import annotations

import msgspec
from litestar import Controller, get

from protocol.permissions import Device
from protocol.vocab import StockState

from ..auth import merchant_of
from ..core import Central
from .store import stock_rows


class StateUnits(msgspec.Struct):
    available: int = 0
    quarantined: int = 0
    disposed: int = 0
    returned_to_merchant: int = 0


class DepotStock(StateUnits):
    depot_id: str = ""


class StockTotal(StateUnits):
    """One SKU of a merchant: units per state over every depot, and per depot."""

    merchant_id: str = ""
    sku: str = ""
    depots: list[DepotStock] = []


def totals(merchant_id: str, rows: list[tuple[str, str, str, int]]) -> list[StockTotal]:
    """The rows grouped per SKU, with their depots, in SKU order."""
    skus: dict[str, StockTotal] = {}
    depots: dict[tuple[str, str], DepotStock] = {}
    for sku, depot, state, units in rows:
        if state not in set(StockState):
            continue
        total = skus.setdefault(sku, StockTotal(merchant_id=merchant_id, sku=sku, depots=[]))
        if (sku, depot) not in depots:
            depots[(sku, depot)] = DepotStock(depot_id=depot)
            total.depots.append(depots[(sku, depot)])
        for target in (total, depots[(sku, depot)]):
            setattr(target, state, getattr(target, state) + units)
    return list(skus.values())


class StockTotalsController(Controller):
    path = "/api/v1/stock/totals"
    tags = ["returns"]

    @get("/")
    async def totals(
        self, device: Device, central: Central, merchant_id: str = ""
    ) -> list[StockTotal]:
        """Units per SKU across depots in each state, with each depot's share."""
        merchant = merchant_of(device, merchant_id)
        return totals(merchant, await stock_rows(central.store, merchant))
