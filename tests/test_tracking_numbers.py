"""Central issues tracking numbers: random serials with a check digit, never twice."""

from __future__ import annotations

from pathlib import Path

from protocol.hlc import HybridClock
from protocol.ids import make_tracking_number, validate_tracking_number
from server.core import Central
from server.merchant_api.schemas import ShipmentIn
from server.merchant_api.services import ShipmentService


async def test_a_serial_already_issued_is_drawn_again(tmp_path: Path):
    async with Central(tmp_path / "central.db") as central:
        draws = iter([5, 5, 5, 9, 9, 12])
        clock = HybridClock("central", lambda: 1_790_000_000_000)
        service = ShipmentService(
            central.store, clock, central.changed, "central", serials=lambda: next(draws)
        )
        (first,) = await service.create_many("M1", [ShipmentIn("a", "EUR")], "m1")
        assert first.tracking_number == make_tracking_number(5)
        # draws that hit an issued number (5, then 9 once issued) are drawn again
        results = await service.create_many(
            "M2", [ShipmentIn("b", "EUR"), ShipmentIn("c", "EUR")], "m2"
        )
        numbers = [r.tracking_number for r in results]
        assert sorted(numbers) == sorted([make_tracking_number(9), make_tracking_number(12)])
        assert all(validate_tracking_number(n) == n for n in numbers)
        # a retried order keeps its number
        (again,) = await service.create_many("M1", [ShipmentIn("a", "EUR")], "m1")
        assert (again.id, again.tracking_number) == (first.id, first.tracking_number)
