"""Central wired once (``server.core.Central``), with its clock injected."""

from __future__ import annotations

import datetime as dt
import itertools
from pathlib import Path

from protocol.hlc import Timestamp
from server.core import Central
from server.merchant_api.schemas import ShipmentIn
from sync.documents import load, read_content

T0 = 1_714_636_800_000  # 2024-05-02T08:00:00Z: far from the machine's clock


async def test_central_runs_on_the_clock_it_is_given(tmp_path: Path) -> None:
    ticks = itertools.count(T0)
    # no background workers: this is about the stamps and days; a worker stopping on a clock
    # that steps 1 ms a call hung once (seen in CI), to be looked into on its own
    wiring = Central(tmp_path / "central.db", wall=lambda: next(ticks), background=False)
    async with wiring as central:
        (made,) = await central.shipments.create_many("M1", [ShipmentIn("a", "EUR")], "m1")
        assert made.id is not None
        stored = (await central.store.load([made.id]))[made.id]
        (created,) = read_content(load(stored.state)).events
        assert T0 <= Timestamp.decode(created["hlc"]).wall_ms < T0 + 1_000
        assert central.reorder.today() == dt.date(2024, 5, 2)
        assert central.office.clock_ms() >= T0 and central.office.clock_ms() < T0 + 1_000
