"""The merchant API's read model queries on the return and stock projections.

(The older shipment and order reads are still beside their handlers, in
``_rows.py``, ``labels.py`` and ``services.py``.)
"""

from __future__ import annotations

from sync.store import ReplicaStore


async def stock_rows(store: ReplicaStore, merchant_id: str) -> list[tuple[str, str, str, int]]:
    """``(sku, depot, state, units)`` of the merchant's returns, summed per key."""
    rows = await store.query(
        "SELECT s.sku, s.depot_id, s.state, sum(s.quantity) FROM p_stock_states s "
        "JOIN p_returns r ON r.doc_id = s.doc_id WHERE r.merchant_id = ? "
        "GROUP BY s.sku, s.depot_id, s.state ORDER BY s.sku, s.depot_id",
        (merchant_id,),
    )
    return [(str(r[0]), str(r[1]), str(r[2]), int(r[3] or 0)) for r in rows]
