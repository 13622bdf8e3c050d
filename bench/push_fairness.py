"""Does one big push starve the others? ``python -m bench.push_fairness [--items N]``.

A courier pushes ``--items`` failed attempts on ONE shipment in one request
(the limit is 500 a push) while another client keeps asking the server for a
small pull; the bench reports how long the big push took and the slowest and
median small answer meanwhile. Before the fix a push of 1,500 items on one
document held the event loop for ~28 s (its cost grew with the square of the
items); a push over the item limit is now refused at once with 413.
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import tempfile
import time
from pathlib import Path

import httpx

from protocol.commands import DocCommand
from protocol.events import AttemptFailed
from protocol.ids import new_id
from protocol.vocab import FailureReason
from protocol.wire import Hello, PullRequest, PushItem, PushRequest, msgpack_encoder
from sync.documents import load, write_command
from sync.http_transport import MSGPACK

from .server_ingest import TOKEN, _enrol, _start, make_docs, wall_clock


def _attempts(state: bytes, courier: str, count: int) -> list[bytes]:
    """``count`` failed attempts on one shipment, one update each."""
    doc, device = load(state, client_id=7), f"hh-{courier}"
    hlc = wall_clock(device)
    updates = []
    for _ in range(count):
        event = AttemptFailed(
            id=new_id(),
            hlc=hlc.now().encode(),
            device=device,
            actor=courier,
            payload=AttemptFailed.Body(FailureReason.NOT_HOME),
        )
        updates.append(write_command(doc, DocCommand.build("fail", "shipment", [event])))
    return updates


async def _poll(url: str, token: str, stop: asyncio.Event) -> list[float]:
    """Small pulls one after the other until ``stop``; the seconds each took."""
    body = msgpack_encoder.encode(PullRequest(Hello("hh-poll"), limit=1))
    headers = {"authorization": f"Bearer {token}", "content-type": MSGPACK}
    took = []
    async with httpx.AsyncClient(base_url=url, timeout=120) as client:
        while not stop.is_set():
            start = time.perf_counter()
            await client.post("/sync/pull", content=body, headers=headers)
            took.append(time.perf_counter() - start)
    return took


async def run(items: int) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        proc, url = _start(Path(tmp) / "central.db")
        try:
            courier = "C1"
            token = _enrol(url, role="courier", depot_id="D1", courier_id=courier)
            other = _enrol(url, role="courier", depot_id="D1", courier_id="C2")
            [(doc_id, create, _)] = list(make_docs(1, courier, 900_000))
            office = {"authorization": f"Bearer {TOKEN}", "content-type": MSGPACK}
            headers = {"authorization": f"Bearer {token}", "content-type": MSGPACK}
            async with httpx.AsyncClient(base_url=url, timeout=600) as client:
                created = PushRequest(
                    Hello("office-bootstrap"), [PushItem(doc_id, "shipment", create)]
                )
                await client.post(
                    "/sync/push", content=msgpack_encoder.encode(created), headers=office
                )
                updates = _attempts(create, courier, items)  # on the shipment as created
                push = PushRequest(
                    Hello(f"hh-{courier}"), [PushItem(doc_id, "shipment", u) for u in updates]
                )
                stop = asyncio.Event()
                poller = asyncio.create_task(_poll(url, other, stop))
                await asyncio.sleep(0.5)  # the poller is under way
                start = time.perf_counter()
                answer = await client.post(
                    "/sync/push", content=msgpack_encoder.encode(push), headers=headers
                )
                pushed = time.perf_counter() - start
                stop.set()
                took = await poller
            print(
                f"push of {items} items on one document: "
                f"HTTP {answer.status_code} in {pushed * 1000:.0f} ms"
            )
            print(
                f"small pulls meanwhile: {len(took)}, "
                f"median {statistics.median(took) * 1000:.1f} ms, slowest {max(took) * 1000:.1f} ms"
            )
        finally:
            proc.terminate()
            proc.wait()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--items", type=int, default=500)
    asyncio.run(run(parser.parse_args().items))


if __name__ == "__main__":
    main()
