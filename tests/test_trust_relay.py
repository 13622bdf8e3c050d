"""A depot relay applies the same content rules as central before it queues an update.

The relay is a :class:`sync.SyncServer` with ``relay=True`` on the depot's store:
what a handheld pushes to it goes through the same check as a push to central.
"""

from __future__ import annotations

from pathlib import Path

from protocol.commands import DocCommand
from protocol.events import AttemptFailed, encode_event
from protocol.ids import new_id
from protocol.wire import Hello, PushItem, PushRequest
from sync import ReplicaStore, SyncServer
from sync.documents import apply_command

from .core_helpers import COURIER, actor, lookup, seeded_central


async def _push(server: SyncServer, store: ReplicaStore, doc_id: str, raw: dict[str, object]):
    state = (await store.load([doc_id]))[doc_id].state
    _, update = apply_command(state, DocCommand("forged", "shipment", events=[raw]), 99)
    request = PushRequest(Hello(COURIER.id), [PushItem(doc_id, "shipment", update)])
    return (await server.push(COURIER, request)).results[0]


async def test_the_relay_refuses_what_central_would(tmp_path: Path):
    store, ids = await seeded_central(tmp_path / "depot.db", shipments=1)
    async with store:
        relay = SyncServer(store, lookup, relay=True, wall=lambda: 1_790_000_000_000)
        honest = actor(COURIER)
        failed = AttemptFailed(**honest.stamp(), payload=AttemptFailed.Body("not_home"))
        raw = encode_event(failed)
        cases = [
            (raw | {"id": new_id(), "hlc": "zzzz"}, "invalid_hlc"),
            (raw | {"id": new_id(), "hlc": "1800000000000.000000.hh1"}, "hlc_in_future"),
            (raw | {"id": new_id(), "actor": "C2"}, "wrong_actor"),
        ]
        for event, code in cases:
            answer = await _push(relay, store, ids[0], event)
            assert (answer.accepted, answer.code) == (False, code), answer
        assert await store.outbox_pending(10) == []
        assert (await _push(relay, store, ids[0], raw)).accepted
