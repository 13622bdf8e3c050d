"""Issue 16, failure 5: money the boundary must refuse (central and the depot relay run
the same :class:`sync.SyncServer` push), decided from the document or from the
shipment a cash-book entry names. Each refusal names the rule and changes nothing."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path

import msgspec
import pytest

from protocol.commands import DocCommand
from protocol.events import (
    CashCollected,
    CashHandedOver,
    CodCollected,
    CodCollectedPayload,
    CollectedPayload,
    HandoverPayload,
)
from protocol.ids import courier_book_id
from protocol.info import CashBookInfo
from simulation import actions
from sync import ReplicaStore, SyncClient, SyncServer, commit_commands
from sync.channel import InMemoryChannel

from .core_helpers import COURIER, DAY, OFFICE, actor, lookup, seeded_central

BOOK = courier_book_id("C1", DAY)
Linked = tuple[ReplicaStore, list[str], ReplicaStore, SyncClient]


@asynccontextmanager
async def linked(tmp_path: Path) -> AsyncIterator[Linked]:
    """Central with shipments (1250 EUR COD each) on C1's route, and C1's handheld."""
    central, ids = await seeded_central(tmp_path / "c.db", shipments=2)
    edge = await ReplicaStore.open(tmp_path / "e.db")
    channel = InMemoryChannel(SyncServer(central, lookup), COURIER)
    client = SyncClient(edge, channel, device_id="hh1")
    try:
        await client.sync()
        yield central, ids, edge, client
    finally:
        await edge.close()
        await central.close()


def book_command(name: str, *events: object) -> tuple[str, DocCommand]:
    info = CashBookInfo("courier", "C1", DAY, "EUR", "D1", "C1")
    return BOOK, DocCommand.build(name, "cashbook", list(events), info=msgspec.to_builtins(info))  # type: ignore[arg-type]


async def refused(client: SyncClient, commands: list[tuple[str, DocCommand]]) -> list[str]:
    """Commit ``commands`` on the handheld, sync, and list the codes of the refused items."""
    await commit_commands(client.store, commands, device_id="hh1")
    await client.sync()
    return sorted(q.code for q in await client.store.quarantined())


async def central_book_events(central: ReplicaStore) -> int:
    rows = await central.query("SELECT COUNT(*) FROM p_cash_entries")
    return int(next(iter(rows))[0])


async def test_handover_above_cash_in_hand_is_refused(tmp_path):
    async with linked(tmp_path) as (central, ids, _, client):
        courier = actor(COURIER)
        delivered = actions.courier_deliver(courier, ids[0], "C1", "D1", DAY, 1250)
        assert await refused(client, delivered) == []
        payload = HandoverPayload(99_999, "EUR", "h1", "D1")
        above = CashHandedOver(**courier.stamp(), payload=payload)
        assert await refused(client, [book_command("handover", above)]) == ["handover_above_cash"]
        assert await central_book_events(central) == 1  # the collection only


async def test_entry_for_a_shipment_without_cod_is_refused(tmp_path):
    async with linked(tmp_path) as (central, _, _, client):
        courier = actor(COURIER)
        office = actor(OFFICE, seed=9)
        other = [actions.create_shipment(office, 50, "D1", "C2", 0, DAY)]
        await commit_commands(central, other, device_id="office", queue=False)
        entry = CashCollected(**courier.stamp(), payload=CollectedPayload(5000, "EUR", other[0][0]))
        assert await refused(client, [book_command("collect", entry)]) == ["no_cod"]
        assert await central_book_events(central) == 0


async def test_entry_without_the_shipments_cod_amount_or_a_reason_is_refused(tmp_path):
    async with linked(tmp_path) as (central, ids, _, client):
        courier = actor(COURIER)
        entry = CashCollected(**courier.stamp(), payload=CollectedPayload(5000, "EUR", ids[0]))
        assert await refused(client, [book_command("collect", entry)]) == ["amount_mismatch"]
        assert await central_book_events(central) == 0


async def test_collection_in_another_currency_is_refused(tmp_path):
    async with linked(tmp_path) as (_, ids, _, client):
        courier = actor(COURIER)
        usd = CodCollected(**courier.stamp(), payload=CodCollectedPayload(1250, "USD"))
        command = DocCommand.build("collect", "shipment", [usd])
        assert await refused(client, [(ids[0], command)]) == ["wrong_currency"]


@pytest.mark.parametrize("amount", [-2500, 0])
def test_no_money_event_carries_a_negative_or_zero_amount(amount):
    with pytest.raises(ValueError, match="positive"):
        CollectedPayload(amount, "EUR", "s1")
    with pytest.raises(ValueError, match="positive"):
        HandoverPayload(amount, "EUR", "h1", "D1")
