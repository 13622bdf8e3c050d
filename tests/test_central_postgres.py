"""Central on PostgreSQL with 2 workers, killed with SIGKILL mid-push: nothing it
acknowledged is lost, and after a restart the rest goes through."""

from __future__ import annotations

import asyncio
import os
import signal
from pathlib import Path

from protocol.wire import Hello, PushItem, PushRequest
from server.store import CentralStore
from sync.documents import load, read_content
from sync.http_transport import HttpChannel
from tests.pg import needs_pg, pg_url
from tests.server_fixtures import Central, start_central, stop_central
from tests.test_durable_acks import COURIER, TOKEN, Pushes, seed

PUSHES, PUSHERS = 48, 4


async def seeded(url: str) -> Pushes:
    """The courier enrolled and ``PUSHES`` shipments stored; a courier event for each."""
    async with await CentralStore.open(url) as store:
        return await seed(store, PUSHES)


async def push_all(
    url: str, pushes: Pushes, acked: list[tuple[str, str]], enough: asyncio.Event | None = None
) -> None:
    """Each update in its own request; the acknowledged ones are added to ``acked``
    (``enough`` is set once a quarter of all are)."""
    async with HttpChannel(url, TOKEN) as channel:
        for doc_id, update, event_id in pushes:
            answer = await channel.push(
                PushRequest(Hello(COURIER.id), [PushItem(doc_id, "shipment", update)])
            )
            assert answer.results[0].accepted, answer.results[0]
            acked.append((doc_id, event_id))
            if enough is not None and len(acked) >= PUSHES // 4:
                enough.set()


def sigkill_all(central: Central) -> None:
    """SIGKILL the workers and their parent at once: no process gets to clean up."""
    pid = central.process.pid
    children = Path(f"/proc/{pid}/task/{pid}/children").read_text().split()
    for child in children:
        os.kill(int(child), signal.SIGKILL)
    central.process.send_signal(signal.SIGKILL)
    central.process.wait()


async def stored_events(url: str, doc_ids: list[str]) -> set[tuple[str, str]]:
    async with await CentralStore.open(url) as store:
        docs = await store.load(doc_ids)
    return {
        (doc_id, raw["id"])
        for doc_id, doc in docs.items()
        for raw in read_content(load(doc.state)).events
    }


@needs_pg
async def test_sigkill_of_central_on_postgres_mid_push_loses_nothing_acknowledged(
    tmp_path: Path,
) -> None:
    url = pg_url("kill")
    pushes = await seeded(url)
    options = {"secret_file": str(tmp_path / "secret"), "workers": 2}
    central = start_central(url, **options)  # type: ignore[arg-type]
    acked: list[tuple[str, str]] = []
    enough = asyncio.Event()
    try:
        pushing = [
            asyncio.ensure_future(push_all(central.url, pushes[n::PUSHERS], acked, enough))
            for n in range(PUSHERS)
        ]
        await asyncio.wait_for(enough.wait(), 60)
        sigkill_all(central)
        await asyncio.gather(*pushing, return_exceptions=True)
    finally:
        if central.process.poll() is None:
            sigkill_all(central)
    assert PUSHES // 4 <= len(acked) < PUSHES, "the kill came mid-push"
    doc_ids = [doc_id for doc_id, _, _ in pushes]
    assert set(acked) <= await stored_events(url, doc_ids)

    central = start_central(url, **options)  # type: ignore[arg-type]
    try:
        await push_all(central.url, [p for p in pushes if (p[0], p[2]) not in acked], acked)
    finally:
        stop_central(central)
    assert {(doc_id, event_id) for doc_id, _, event_id in pushes} <= await stored_events(
        url, doc_ids
    )
