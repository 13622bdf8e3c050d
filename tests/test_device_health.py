"""Device health reaches head office over the wire: from a handheld syncing with
central directly, and from one behind a real depot relay (forwarded in the
depot's Hello). Old clients without ``health`` keep working; bad reports are
refused by field and change nothing."""

from __future__ import annotations

import time
from pathlib import Path
from typing import TYPE_CHECKING, Any

import httpx
import msgspec

from edge.relay import DepotRelay
from edge.status import node_status
from edge.store import EdgeStore
from protocol.commands import DocCommand
from protocol.permissions import Device
from protocol.vocab import Role
from protocol.wire import msgpack_encoder
from sync import SyncClient, commit_commands
from sync.http_transport import MSGPACK, HttpChannel

from .server_helpers import assign, node, office_rows, routed, seed

if TYPE_CHECKING:
    from .server_fixtures import Central, Names

pytest_plugins = ["tests.server_fixtures"]

DEVICE_COLUMNS = [
    "device_id",
    "role",
    "depot_id",
    "courier_id",
    "last_seen",
    "waiting",
    "oldest_unsent_age_s",
    "quarantined",
]


def devices_by_id(central: Central, **filters: str) -> dict[str, dict[str, Any]]:
    """GET the office devices table, rows keyed by device id."""
    rows = office_rows(central, "devices", **filters)
    assert all(list(r) == DEVICE_COLUMNS for r in rows)
    return {r["device_id"]: r for r in rows}


def exceptions_of(central: Central, subject: str) -> set[str]:
    """The kinds of open exceptions about ``subject``."""
    rows = office_rows(central, "exceptions")
    return {r["kind"] for r in rows if r["subject"] == f"device:{subject}"}


async def quarantine_one(handheld: SyncClient, shipment_id: str) -> None:
    """The courier edits a field it may not: the upstream refuses, the item is quarantined."""
    await handheld.sync()
    edit = DocCommand("edit", "shipment", info={"cod_amount": 1})
    await commit_commands(handheld.store, [(shipment_id, edit)], device_id=handheld.device_id)
    assert (await handheld.sync()).rejected == 1
    await handheld.pull()  # the next request reports the quarantined item


def raw_pull(url: str, token: str, hello: dict[str, Any]) -> httpx.Response:
    """A pull whose Hello is exactly ``hello`` (as an older or a hostile client sends it)."""
    body = msgpack_encoder.encode({"type": "PullRequest", "hello": hello, "cursor": 0})
    headers = {"authorization": f"Bearer {token}", "content-type": MSGPACK}
    return httpx.post(url + "/sync/pull", content=body, headers=headers, timeout=10)


async def test_direct_handheld_with_a_quarantined_item_is_an_exception(
    central: Central, names: Names, tmp_path: Path
):
    ids = await seed(central, names, 1)
    depot_id, _ = await routed(central, names, tmp_path, ids)
    hh_id, hh_token = central.enrol("courier", depot_id=names.depot, courier_id=names.courier)
    async with node(central, tmp_path / "hh.db", hh_id, hh_token) as handheld:
        await quarantine_one(handheld, ids[0])
    row = devices_by_id(central, depot=names.depot)[hh_id]
    assert row["role"] == "courier" and row["courier_id"] == names.courier
    assert (row["quarantined"], row["waiting"], row["oldest_unsent_age_s"]) == (1, 0, None)
    assert row["last_seen"] is not None
    assert exceptions_of(central, hh_id) == {"device_quarantine"}
    assert exceptions_of(central, depot_id) == set()


async def test_handheld_behind_a_depot_relay_reaches_central(
    central: Central, names: Names, tmp_path: Path
):
    ids = await seed(central, names, 1)
    depot_id, depot_token = central.enrol("depot", depot_id=names.depot)
    hh_id, hh_token = central.enrol("courier", depot_id=names.depot, courier_id=names.courier)
    async with (
        await EdgeStore.open(tmp_path / "depot.db") as depot_store,
        HttpChannel(central.url, depot_token) as wan,
    ):
        depot = SyncClient(depot_store, wan, device_id=depot_id)
        await assign(depot, ids, names.courier)
        enrolled = devices_by_id(central, depot=names.depot)
        courier = Device(hh_id, Role.COURIER, depot_id=names.depot, courier_id=names.courier)
        await depot_store.enroll(courier, token=hh_token)  # same id and token as at central
        relay = DepotRelay(depot_store, "127.0.0.1", 0)
        await relay.start()
        try:
            async with HttpChannel(f"http://127.0.0.1:{relay.port}", hh_token) as lan:
                async with await EdgeStore.open(tmp_path / "hh.db") as hh_store:
                    await quarantine_one(SyncClient(hh_store, lan, device_id=hh_id), ids[0])
        finally:
            await relay.stop()
        assert enrolled[hh_id]["last_seen"] is None  # central never heard from it directly
        local = (await node_status(depot_store, int(time.time() * 1000))).handhelds
        assert [(h.device_id, h.health and h.health.quarantined) for h in local] == [(hh_id, 1)]
        await depot.sync()  # the depot's Hello carries its handheld's latest report
    row = devices_by_id(central, depot=names.depot)[hh_id]
    assert (row["quarantined"], row["waiting"]) == (1, 0)
    assert row["last_seen"] is not None
    assert "device_quarantine" in exceptions_of(central, hh_id)
    assert devices_by_id(central)[depot_id]["quarantined"] == 0  # not blamed on the depot


def test_a_depot_cannot_report_for_another_depots_courier(central: Central, names: Names):
    depot_id, depot_token = central.enrol("depot", depot_id=names.depot)
    foreign_id, _ = central.enrol("courier", depot_id=names.depot + "-x", courier_id=names.courier)
    own_id, _ = central.enrol("courier", depot_id=names.depot, courier_id=names.courier2)
    report = {"seen_ms": 1_700_000_000_000, "health": {"quarantined": 7, "waiting": 3}}
    relayed = [{"device_id": foreign_id, **report}, {"device_id": own_id, **report}]
    answer = raw_pull(central.url, depot_token, {"device_id": depot_id, "relayed": relayed})
    assert answer.status_code == 200
    rows = devices_by_id(central)
    assert (rows[foreign_id]["quarantined"], rows[foreign_id]["waiting"]) == (0, None)
    assert (rows[own_id]["quarantined"], rows[own_id]["waiting"]) == (7, 3)
    assert rows[own_id]["last_seen"] == 1_700_000_000_000
    assert "device_silent" in exceptions_of(central, own_id)  # seen long ago


def test_old_client_without_health_still_syncs(central: Central, names: Names):
    hh_id, hh_token = central.enrol("courier", depot_id=names.depot, courier_id=names.courier)
    answer = raw_pull(central.url, hh_token, {"device_id": hh_id})
    assert answer.status_code == 200
    reply = msgspec.msgpack.decode(answer.content)
    assert reply["type"] == "PullResponse"
    row = devices_by_id(central)[hh_id]
    assert row["last_seen"] is not None and row["waiting"] is None
    assert "device_silent" not in exceptions_of(central, hh_id)


def test_a_bad_report_is_refused_by_field_and_changes_nothing(central: Central, names: Names):
    hh_id, hh_token = central.enrol("courier", depot_id=names.depot, courier_id=names.courier)
    good = {"device_id": hh_id, "health": {"waiting": 2, "quarantined": 0}}
    assert raw_pull(central.url, hh_token, good).status_code == 200
    before = devices_by_id(central)[hh_id]
    bad = {"device_id": hh_id, "health": {"waiting": -5, "quarantined": 9}}
    answer = raw_pull(central.url, hh_token, bad)
    assert answer.status_code == 400
    assert "hello.health.waiting" in msgspec.msgpack.decode(answer.content)["message"]
    after = devices_by_id(central)[hh_id]
    assert (after["waiting"], after["quarantined"]) == (before["waiting"], 0) == (2, 0)
