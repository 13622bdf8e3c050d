"""The recording rules of device health, on a real replica file: a depot's
relayed reports land only for its own enrolled couriers and only when newer
than what is known; a device's own report always wins over a relayed one."""

from __future__ import annotations

import asyncio
import tempfile
from pathlib import Path

import pytest
from hypothesis import example, given, settings
from hypothesis import strategies as st

from protocol.permissions import Device
from protocol.vocab import Role
from protocol.wire import DeviceHealth, Hello, RelayedHealth
from sync import devices
from sync.device_health import HEALTH_KEY, HealthRecorder, decode_record, own_health
from sync.ingest import commit_commands
from sync.store import ReplicaStore
from tests._edge_world import DEPOT_DEVICE, shipment_command

DEPOTS = {
    "dep-a": Device("dep-a", Role.DEPOT, depot_id="A"),
    "dep-b": Device("dep-b", Role.DEPOT, depot_id="B"),
}
COURIERS = {
    "hh-a1": Device("hh-a1", Role.COURIER, depot_id="A", courier_id="a1"),
    "hh-a2": Device("hh-a2", Role.COURIER, depot_id="A", courier_id="a2"),
    "hh-b1": Device("hh-b1", Role.COURIER, depot_id="B", courier_id="b1"),
}
TARGETS = ["hh-a1", "hh-a2", "hh-b1", "dep-b", "hh-unknown"]

# (sender, target, seen_ms, waiting): a relayed report when the sender is a depot,
# the courier's own report when sender == target
report = st.tuples(
    st.sampled_from(["dep-a", "dep-b", "hh-a1"]),
    st.sampled_from(TARGETS),
    st.integers(1, 3),  # few values: ties and reorderings are common
    st.integers(0, 3),
)


def expected(reports: list[tuple[str, str, int, int]]) -> dict[str, tuple[str, int]]:
    """Per device: (who it was heard through, waiting) after all reports, by the rules."""
    held: dict[str, tuple[str, int, int]] = {}  # device -> (via, seen, waiting)
    for sender, target, seen, waiting in reports:
        if sender in COURIERS:
            held[sender] = ("", 10**15, waiting)  # direct: stamped now, newer than any relay
            continue
        courier = COURIERS.get(target)
        if courier is None or courier.depot_id != DEPOTS[sender].depot_id:
            continue
        if target not in held or held[target][1] < seen:
            held[target] = (sender, seen, waiting)
    return {d: (via, waiting) for d, (via, _, waiting) in held.items()}


async def recorded(reports: list[tuple[str, str, int, int]]) -> dict[str, tuple[str, int]]:
    with tempfile.TemporaryDirectory() as tmp:
        async with await ReplicaStore.open(Path(tmp) / "central.db") as store:
            for device in [*DEPOTS.values(), *COURIERS.values()]:
                await store.enroll(device)
            recorder = HealthRecorder(store)
            for sender, target, seen, waiting in reports:
                health = DeviceHealth(waiting=waiting)
                if sender in COURIERS:
                    await recorder.record(COURIERS[sender], Hello(sender, health=health))
                else:
                    relayed = [RelayedHealth(target, seen, health)]
                    await recorder.record(DEPOTS[sender], Hello(sender, relayed=relayed))
            rows = await store.query("SELECT key, value FROM meta WHERE key LIKE 'health.%'")
    found = {}
    for key, raw in rows:
        record = decode_record(raw)
        assert record is not None and record.health is not None
        found[key.removeprefix(HEALTH_KEY)] = (record.via, record.health.waiting)
    return found


@settings(max_examples=80, deadline=None)
@given(st.lists(report, max_size=12))
@example([("dep-a", "hh-a1", 3, 1), ("dep-a", "hh-a1", 3, 2)])  # a tie keeps the first
def test_relayed_reports_follow_the_rules(reports: list[tuple[str, str, int, int]]):
    assert asyncio.run(recorded(reports)) == expected(reports)


async def test_own_health_reads_outbox_quarantine_cursor_and_handhelds(tmp_path: Path):
    async with await ReplicaStore.open(tmp_path / "depot.db") as store:
        health, handhelds = await own_health(store, "upstream", at_ms=5_000)
        assert (health.waiting, health.quarantined, health.last_sync_ms) == (0, 0, None)
        assert health.oldest_unsent_age_s is None and handhelds == []
        await commit_commands(store, [shipment_command(1)], device_id=DEPOT_DEVICE.id)
        await store.write([], cursor=("upstream", 7, "central-replica"))
        [(created_at,)] = await store.query("SELECT created_at FROM outbox")
        [(synced_at,)] = await store.query("SELECT synced_at FROM cursors")
        at_ms = created_at + 2_500
        health, _ = await own_health(store, "upstream", at_ms=at_ms)
        assert health.waiting == 1 and health.last_sync_ms == synced_at
        assert health.oldest_unsent_age_s == (at_ms - created_at) / 1000
        await store.enroll(COURIERS["hh-a1"], token="t-a1")
        await store.enroll(COURIERS["hh-a2"], token="t-a2")
        await store.authenticate("t-a1")  # heard from hh-a1 only
        await HealthRecorder(store).record(
            COURIERS["hh-a1"], Hello("hh-a1", health=DeviceHealth(waiting=4, quarantined=2))
        )
        _, handhelds = await own_health(store, "upstream")
    assert [(h.device_id, h.health) for h in handhelds] == [
        ("hh-a1", DeviceHealth(waiting=4, quarantined=2))
    ]
    assert handhelds[0].seen_ms > 0


async def test_a_relayed_report_from_the_future_is_capped_at_now(tmp_path: Path):
    """A depot clock running ahead must not pin a courier as seen in the future."""
    async with await ReplicaStore.open(tmp_path / "c.db") as store:
        old_depot = Device("dep1", Role.DEPOT, depot_id="D1")
        new_depot = Device("dep2", Role.DEPOT, depot_id="D2")
        await store.enroll(old_depot)
        await store.enroll(new_depot)
        await store.enroll(Device("hh1", Role.COURIER, depot_id="D1", courier_id="C1"))
        recorder = HealthRecorder(store)
        future = RelayedHealth("hh1", 10**15, DeviceHealth(waiting=1))
        await recorder.record(old_depot, Hello("dep1", relayed=[future]))
        stored = await store.query("SELECT value FROM meta WHERE key = ?", (HEALTH_KEY + "hh1",))
        record = decode_record(stored[0][0])
        assert record is not None and record.seen_ms < 10**15
        # the courier moves to D2: its new depot's report is newer than the capped one
        await store.enroll(Device("hh1", Role.COURIER, depot_id="D2", courier_id="C1"))
        await asyncio.sleep(0.01)
        later = RelayedHealth("hh1", record.seen_ms + 5, DeviceHealth(waiting=42))
        await recorder.record(new_depot, Hello("dep2", relayed=[later]))
        stored = await store.query("SELECT value FROM meta WHERE key = ?", (HEALTH_KEY + "hh1",))
        moved = decode_record(stored[0][0])
        assert moved is not None and moved.via == "dep2" and moved.health is not None
        assert moved.health.waiting == 42


async def test_last_seen_is_rewritten_only_once_it_is_old(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
):
    """Most requests commit nothing: last seen moves once it is ``SEEN_EVERY_MS`` old,
    and a revoked token is refused whatever last seen says."""
    clock = [1_700_000_000_000]
    monkeypatch.setattr(devices, "now_ms", lambda: clock[0])
    hh = COURIERS["hh-a1"]

    async def last_seen() -> int | None:
        rows = await store.query("SELECT last_seen_at FROM devices WHERE device_id = ?", (hh.id,))
        return rows[0][0]

    async with await ReplicaStore.open(tmp_path / "c.db") as store:
        await store.enroll(hh, token="t-a1")
        assert await last_seen() is None
        first = clock[0]
        assert await store.authenticate("t-a1") == hh
        assert await last_seen() == first
        clock[0] += devices.SEEN_EVERY_MS - 1
        assert await store.authenticate("t-a1") == hh
        assert await last_seen() == first
        clock[0] += 1
        assert await store.authenticate("t-a1") == hh
        assert await last_seen() == clock[0]
        assert await store.revoke(hh.id)
        assert await store.authenticate("t-a1") is None
        assert await store.authenticate("no-such-token") is None
