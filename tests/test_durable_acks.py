"""Every acknowledged push is on stable storage before its answer leaves.

Central (``parcelsync server``) and a depot relay (``parcelsync edge depot
--listen``) run as real processes under strace; a handheld pushes courier
events to each, one request at a time, and the trace must show, for every
push, its WAL pages written, their commit frame, and an fsync of the WAL
before the first byte of the answer (see :mod:`tests.fsync_trace`). With
``synchronous=NORMAL`` no fsync comes before any answer and the test fails.
"""

from __future__ import annotations

import os
import signal
import sys
from pathlib import Path

import httpx
import msgspec
import pytest

from edge.context import Identity
from protocol.commands import DocCommand
from protocol.events import OutForDelivery, ShipmentCreated
from protocol.ids import make_tracking_number, new_id
from protocol.info import ShipmentInfo
from protocol.permissions import Device
from protocol.vocab import Role
from protocol.wire import Hello, PushItem, PushRequest
from server.store import CentralStore
from simulation.demo import open_edge, wait_ready
from simulation.proc_net import free_port
from sync import ReplicaStore, commit_commands
from sync.documents import apply_command
from sync.http_transport import HttpChannel
from tests.fsync_trace import STRACE, traced, tracee, unsynced_acks
from tests.server_helpers import clock

pytestmark = pytest.mark.skipif(STRACE is None, reason="needs strace (.ci/run installs it)")
DEPOT, COURIER_ID = "D-durable", "C-durable"
COURIER = Device("hh-durable", Role.COURIER, DEPOT, COURIER_ID)
TOKEN = "durable-handheld-token-0123456789"
PUSHES = 6
Pushes = list[tuple[str, bytes, str]]  # doc id, courier event update, the event's id


def creation(serial: int) -> DocCommand:
    """An office creating a shipment on the courier's route."""
    info = ShipmentInfo(
        merchant_id="M1",
        tracking_number=make_tracking_number(serial),
        currency="EUR",
        cod_amount=1250,
        depot_id=DEPOT,
        courier_id=COURIER_ID,
    )
    office = clock("office-bootstrap")
    created = ShipmentCreated(
        id=new_id(), hlc=office.now().encode(), device="office-bootstrap", actor="office"
    )
    return DocCommand.build("create", "shipment", [created], msgspec.to_builtins(info))


async def seed(store: ReplicaStore, count: int = PUSHES) -> Pushes:
    """The courier enrolled and ``count`` shipments stored in ``store``; one courier
    event update for each, to push."""
    commands = [(new_id(), creation(n)) for n in range(count)]
    await commit_commands(store, commands, device_id="office-bootstrap", queue=False)
    await store.enroll(COURIER, "handheld", TOKEN)
    stored = await store.load(doc_id for doc_id, _ in commands)
    hh = clock(COURIER.id)
    pushes = []
    for doc_id, _ in commands:
        event = OutForDelivery(
            id=new_id(),
            hlc=hh.now().encode(),
            device=COURIER.id,
            actor=COURIER_ID,
            payload=OutForDelivery.Body(courier_id=COURIER_ID),
        )
        command = DocCommand.build("out", "shipment", [event])
        pushes.append((doc_id, apply_command(stored[doc_id].state, command, 7)[1], event.id))
    return pushes


async def push_one_at_a_time(url: str, pushes: Pushes) -> None:
    """Each update in its own request, the next sent once the last is answered."""
    async with HttpChannel(url, TOKEN) as channel:
        for doc_id, update, _ in pushes:
            answer = await channel.push(
                PushRequest(Hello(COURIER.id), [PushItem(doc_id, "shipment", update)])
            )
            assert answer.results[0].accepted, answer.results[0]


OFFICE_TOKEN = "durable-acks-office-token-0123456789"  # strong enough for central


def node_command(kind: str, db: Path, port: int) -> list[str]:
    cli = [sys.executable, "-m", "parcelsync_cli"]
    if kind == "central":
        return [
            *cli,
            "server",
            "--db",
            str(db),
            "--port",
            str(port),
            "--office-token",
            OFFICE_TOKEN,
        ]
    return [*cli, "edge", "depot", "--db", str(db), "--listen", f"127.0.0.1:{port}"]


async def prepared(kind: str, db: Path) -> Pushes:
    """The node's file enrolled and seeded; the pushes to make."""
    if kind == "central":
        async with await CentralStore.open(db) as store:
            return await seed(store)
    depot = Identity("depot-durable", Role.DEPOT, DEPOT, "", f"http://127.0.0.1:{free_port()}", "t")
    await open_edge(db, depot)
    async with await ReplicaStore.open(db) as store:
        return await seed(store)


@pytest.mark.parametrize("kind", ["central", "depot"])
async def test_each_acknowledged_push_was_fsynced_before_its_answer(
    kind: str, tmp_path: Path
) -> None:
    db, port = tmp_path / f"{kind}.db", free_port()
    pushes = await prepared(kind, db)
    url = f"http://127.0.0.1:{port}"
    strace = traced(tmp_path / "trace", node_command(kind, db, port))
    try:
        async with httpx.AsyncClient(base_url=url) as http:
            await wait_ready(http, strace)
        await push_one_at_a_time(url, pushes)
    finally:
        if strace.poll() is None:  # the node is still up: stop it, strace ends with it
            os.kill(tracee(strace), signal.SIGTERM)
        strace.wait(30)
    trace = (tmp_path / "trace").read_text(errors="replace")
    assert unsynced_acks(trace, port, [event_id for _, _, event_id in pushes]) == []
