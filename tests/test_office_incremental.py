"""The office cache refreshed incrementally gives exactly what a full rebuild gives.

Hypothesis writes random sequences of real documents (shipments, courier /
depot / office cash books, returns) into a central store, and now and then
compacts a document's log or truncates the log right after a write (so the
office cannot learn from the log what changed, and must read everything). After every step, one
long-lived :class:`OfficeService` (which re-reads only the documents written
since its last head) must agree with a fresh one that reads everything: the
same reconciliation, and at the end the same rows in every table.
"""

from __future__ import annotations

import asyncio
import tempfile
from pathlib import Path
from typing import Any

import msgspec
from hypothesis import given, settings
from hypothesis import strategies as st

from protocol.commands import DocCommand
from protocol.info import CashBookInfo, ReturnInfo, ShipmentInfo
from server.office.service import OfficeService
from server.store import CentralStore
from sync import commit_commands

from .reconcile_world import DAY, T0, e

SHIPMENTS = ["s0", "s1", "s2", "s3"]
BOOKS = {
    "book-C1": CashBookInfo(owner_kind="courier", owner_id="C1", day="2026-01-01", currency="EUR"),
    "book-D1": CashBookInfo(
        owner_kind="depot", owner_id="D1", day="2026-01-01", currency="EUR", depot_id="D1"
    ),
    "book-office": CashBookInfo(
        owner_kind="office", owner_id="office", day="2026-01-01", currency="EUR", merchant_id="M1"
    ),
}
ACTIONS = [
    "deliver",
    "fail",
    "refuse",
    "cod",
    "lost",
    "collect",
    "handover",
    "count",
    "deposit",
    "remit",
    "return",
    "compact",
    "truncate",
]
steps = st.lists(
    st.tuples(st.sampled_from(ACTIONS), st.integers(0, len(SHIPMENTS) - 1), st.integers(1, 3000)),
    min_size=1,
    max_size=8,
)


def _shipment_info(sid: str, cod: int) -> dict[str, Any]:
    info = ShipmentInfo(
        merchant_id="M1",
        tracking_number=f"TN-{sid}",
        currency="EUR",
        cod_amount=cod,
        depot_id="D1",
        courier_id="C1",
        route_day="2026-01-01",
        slot_end="12:00",
    )
    return msgspec.to_builtins(info)


def _events(action: str, n: int, sid: str, amount: int) -> tuple[str, str, list[Any]]:
    """(doc id, doc type, events) of one step; ``n`` keeps ids and times unique."""
    ms = n * 1000
    ho = {"handover_id": "h1", "depot_id": "D1"}
    match action:
        case "created":
            return sid, "shipment", [e("created", ms, n)]
        case "deliver":
            events = [e("out_for_delivery", ms, n), e("delivered", ms + 1, n)]
            return sid, "shipment", events
        case "fail" | "refuse":
            reason = "not_home" if action == "fail" else "refused"
            return sid, "shipment", [e("attempt_failed", ms, n, reason=reason)]
        case "cod":
            return sid, "shipment", [e("cod_collected", ms, n, amount=amount)]
        case "lost":
            return sid, "shipment", [e("marked_lost", ms, n)]
        case "truncate":
            return sid, "shipment", [e("received_at_depot", ms, n, depot_id="D1")]
        case "collect":
            return "book-C1", "cashbook", [e("collected", ms, n, shipment_id=sid, amount=amount)]
        case "handover":
            return "book-C1", "cashbook", [e("handed_over", ms, n, amount=amount, **ho)]
        case "count":
            return "book-C1", "cashbook", [e("counted_at_depot", ms, n, amount=amount, **ho)]
        case "deposit":
            return "book-D1", "cashbook", [e("deposited", ms, n, amount=amount)]
        case "remit":
            pay = {"amount": amount, "merchant_id": "M1", "shipment_ids": [sid]}
            return "book-office", "cashbook", [e("remitted", ms, n, batch_id=f"b{n}", **pay)]
    return f"r-{sid}", "return", [e("requested", ms, n)]


async def _write(store: CentralStore, n: int, action: str, i: int, amount: int) -> None:
    sid = SHIPMENTS[i]
    if action == "compact":
        await store.compact_document(sid)
        return
    doc_id, doc_type, events = _events(action, n, sid, amount)
    if doc_type == "shipment":
        info = _shipment_info(sid, cod=1000 * (i + 1))
    elif doc_type == "cashbook":
        info = msgspec.to_builtins(BOOKS[doc_id])
    else:
        info = msgspec.to_builtins(ReturnInfo(shipment_id=sid, merchant_id="M1", depot_id="D1"))
    command = DocCommand.build(action, doc_type, events, info=info)
    await commit_commands(store, [(doc_id, command)], device_id="central", queue=False)
    if action == "truncate":  # the write's log row goes before the office sees it
        other = SHIPMENTS[(i + 1) % len(SHIPMENTS)]
        _, _, later = _events(action, n + 1000, other, amount)
        command = DocCommand.build(action, "shipment", later)
        await commit_commands(store, [(other, command)], device_id="central", queue=False)
        await store.truncate_log(await store.head() - 1)


async def _tables(office: OfficeService) -> dict[str, Any]:
    tables = {}
    for name in office.table_names:
        filters = {"group": "day"} if name == "kpis" else {}
        tables[name] = (await office.table(name, filters)).rows
    return tables


async def _check(steps: list[tuple[str, int, int]]) -> None:
    def clock() -> int:
        return T0 + 3 * DAY

    with tempfile.TemporaryDirectory() as tmp:
        async with await CentralStore.open(Path(tmp) / "central.db") as store:
            created = [("created", i, 0) for i in range(len(SHIPMENTS))]
            incremental = OfficeService(store, clock_ms=clock)
            for n, (action, i, amount) in enumerate([*created, *steps]):
                await _write(store, n, action, i, amount)
                full = OfficeService(store, clock_ms=clock)
                got, head = await incremental.reconciliation()
                want, want_head = await full.reconciliation()
                assert (got, head) == (want, want_head), (n, action)
            assert await _tables(incremental) == await _tables(full)


@settings(max_examples=20, deadline=None)
@given(steps)
def test_incremental_refresh_equals_a_full_rebuild(steps: list[tuple[str, int, int]]) -> None:
    asyncio.run(_check(steps))
