"""Issue 16, failure 6: head office's cash limit reaches the handheld through sync and is
enforced offline. Central is the real server process; the handheld syncs over HTTP.

A limit changed while the handheld is offline applies from its next sync: until then the
handheld enforces the last limit it received."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

import pytest

from edge import commands
from edge.context import EdgeContext, Identity, enroll
from edge.errors import CashLimitReached
from edge.store import EdgeStore
from sync import SyncClient
from sync.http_transport import HttpChannel

from ._edge_world import Wall
from .server_helpers import routed, seed

if TYPE_CHECKING:
    from .server_fixtures import Central, Names

pytest_plugins = ["tests.server_fixtures"]


def set_limit(central: Central, courier: str, minor: int) -> None:
    with central.api() as api:
        answer = api.put(
            f"/api/v1/office/couriers/{courier}/cash-limit", json={"cash_limit_minor": minor}
        )
    assert answer.status_code == 200, answer.text


async def test_office_cash_limit_reaches_the_handheld_and_holds_offline(
    central: Central, names: Names, tmp_path: Path
) -> None:
    ids = await seed(central, names, 3)  # COD EUR 10.00, 10.01, 10.02
    await routed(central, names, tmp_path, ids)
    hh_id, token = central.enrol("courier", depot_id=names.depot, courier_id=names.courier)
    store = await EdgeStore.open(tmp_path / "hh.db")
    identity = Identity(hh_id, "courier", names.depot, names.courier)  # no limit at enrolment
    await enroll(store, identity)
    ctx = EdgeContext(store, identity, wall=Wall())
    async with HttpChannel(central.url, token) as channel:
        client = SyncClient(store, channel, device_id=hh_id)
        await client.sync()
        assert (await commands.cash_position(ctx)).limit is None
        set_limit(central, names.courier, 500)  # EUR 5.00
        await client.sync()
        assert (await commands.cash_position(ctx)).limit == 500
        with pytest.raises(CashLimitReached):
            await commands.collect(ctx, ids[0], 1000)  # offline: nothing to ask upstream
        set_limit(central, names.courier, 5000)  # raised while the handheld is offline
        with pytest.raises(CashLimitReached):
            await commands.collect(ctx, ids[0], 1000)  # the last limit it received holds
        await client.sync()
        await commands.collect(ctx, ids[0], 1000)
        assert (await commands.cash_position(ctx)).in_hand == 1000
        set_limit(central, names.courier, 1500)
        await client.sync()
        with pytest.raises(CashLimitReached):
            await commands.collect(ctx, ids[1], 1001)
    await ctx.close()
