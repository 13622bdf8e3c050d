"""Edge bootstrap over HTTP on loopback: a 150-stop handheld and a depot of N documents.

``python -m bench.edge_bootstrap --json [--docs 20000]``

Central here is a :class:`sync.SyncServer` over a :class:`sync.ReplicaStore`
served with :func:`sync.http_transport.sync_router` by uvicorn on 127.0.0.1
(the same routes the real server mounts); the nodes talk to it through
:class:`sync.http_transport.HttpChannel`, so seconds and bytes are real HTTP.
Also measured: bytes on the wire per delivery event (push request body), gzipped
and, as the baseline of the same run, plain MessagePack.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import logging
import socket
import tempfile
import time
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

import msgspec
import uvicorn
from litestar import Litestar

from edge import commands
from edge.context import EdgeContext, Identity, enroll
from edge.store import EdgeStore
from protocol.commands import DocCommand
from protocol.events import ShipmentCreated
from protocol.ids import make_tracking_number, named_id
from protocol.info import Parcel, ShipmentInfo
from protocol.permissions import Device
from protocol.vocab import Role
from sync import ReplicaStore, SyncClient, SyncServer, commit_commands
from sync.http_transport import HttpChannel, sync_router

DAY = "2024-05-02"
COURIER = Device("bench-hh", Role.COURIER, depot_id="D1", courier_id="C1")
DEPOT = Device("bench-depot", Role.DEPOT, depot_id="D1")


def shipment(i: int, stops: int) -> tuple[str, DocCommand]:
    courier = "C1" if i < stops else f"C{2 + i % 60}"
    info = ShipmentInfo(
        merchant_id=f"M{i % 40}",
        tracking_number=make_tracking_number(i),
        currency="EUR",
        recipient_name=f"Recipient {i}",
        address=f"Street {i}",
        postcode="1011AB",
        city="Amsterdam",
        cod_amount=1000 + i % 5000 if i % 10 < 7 else 0,
        depot_id="D1",
        courier_id=courier,
        route_day=DAY,
        route_seq=i,
        parcels=[Parcel(f"BC-{i}", 1200)],
    )
    created = ShipmentCreated(
        id=named_id("bench-created", str(i)),
        hlc=f"{1_714_600_000_000:013d}.000000.seed",
        device="office",
        actor="seed",
    )
    doc = DocCommand.build("create", "shipment", [created], info=msgspec.to_builtins(info))
    return named_id("bench-shipment", str(i)), doc


async def seed_central(path: Path, docs: int, stops: int) -> tuple[ReplicaStore, dict[str, str]]:
    store = await ReplicaStore.open(path)
    for start in range(0, docs, 1000):
        batch = [shipment(i, stops) for i in range(start, min(docs, start + 1000))]
        await commit_commands(store, batch, device_id="office", queue=False)
    tokens = {d.id: await store.enroll(d) for d in (COURIER, DEPOT)}
    return store, tokens


@asynccontextmanager
async def served(store: ReplicaStore) -> AsyncIterator[str]:
    """Serve ``store``'s sync routes on loopback; yields the URL, then stops and closes it."""
    app = Litestar(
        route_handlers=[sync_router(SyncServer(store, store.device), store.authenticate)]
    )
    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    sock.listen(128)
    server = uvicorn.Server(uvicorn.Config(app, log_level="warning", lifespan="off"))
    task = asyncio.create_task(server.serve([sock]))
    try:
        yield f"http://127.0.0.1:{sock.getsockname()[1]}"
    finally:
        server.should_exit = True
        await task
        await store.close()


async def bootstrap(
    path: Path, device: Device, url: str, token: str
) -> tuple[EdgeContext, dict[str, Any]]:
    store = await EdgeStore.open(path)
    identity = Identity(device.id, device.role, "D1", device.courier_id or "", url, token)
    await enroll(store, identity)
    channel = HttpChannel(url, token)
    client = SyncClient(store, channel, device_id=device.id, page=2000)
    started = time.perf_counter()
    report = await client.sync()
    seconds = time.perf_counter() - started
    ctx = EdgeContext(store, identity)
    result = {
        "documents": len(await store.document_ids()),
        "seconds": round(seconds, 3),
        "bytes": channel.bytes_sent + channel.bytes_received,
        "pages": report.pages,
    }
    await channel.aclose()
    return ctx, result


async def delivery_bytes(ctx: EdgeContext, url: str, token: str) -> dict[str, Any]:
    """Push request bytes for one delivered event, and per event in a batch of 50.

    The batch is measured twice in the same run: with plain MessagePack bodies
    (the baseline) and gzipped, as an edge node's channel sends them.
    """
    route = await commands.load_route(ctx, DAY)
    assert len(route) >= 101, "the delivery figure needs a route of at least 101 stops"
    channels = {"plain": HttpChannel(url, token), "gzip": HttpChannel(url, token, compress=True)}
    plain = SyncClient(ctx.store, channels["plain"], device_id=ctx.device_id)
    gzip = SyncClient(ctx.store, channels["gzip"], device_id=ctx.device_id)
    for stop in route[:101]:  # out for delivery and COD collected: not measured
        await commands.out_for_delivery(ctx, stop.tracking_number)
        if stop.cod_amount:
            await commands.collect(ctx, stop.tracking_number, stop.cod_amount)
    await plain.push()
    await gzip.pull()  # the answer says the server accepts gzip
    sent = {}
    for name, client, channel, stops in (
        ("single", plain, channels["plain"], route[:1]),
        ("plain", plain, channels["plain"], route[1:51]),
        ("gzip", gzip, channels["gzip"], route[51:101]),
    ):
        before = channel.bytes_sent
        for stop in stops:
            await commands.deliver(ctx, stop.tracking_number, recipient_name="A. Jansen")
        await client.push()
        sent[name] = channel.bytes_sent - before
    for channel in channels.values():
        await channel.aclose()
    return {
        "single_push_bytes": sent["single"],
        "per_event_in_batch_of_50": round(sent["gzip"] / 50, 1),
        "per_event_in_batch_of_50_uncompressed": round(sent["plain"] / 50, 1),
        "ratio_to_uncompressed": round(sent["gzip"] / sent["plain"], 3),
    }


async def main(docs: int, stops: int) -> dict[str, Any]:
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        central, tokens = await seed_central(root / "central.db", docs, stops)
        async with served(central) as url:
            hh, handheld = await bootstrap(root / "hh.db", COURIER, url, tokens[COURIER.id])
            depot, depot_result = await bootstrap(root / "depot.db", DEPOT, url, tokens[DEPOT.id])
            per_delivery = await delivery_bytes(hh, url, tokens[COURIER.id])
            for ctx in (hh, depot):
                await ctx.close()
    return {
        "transport": "HTTP msgpack on 127.0.0.1 (uvicorn + sync.http_transport)",
        "handheld_bootstrap": {"stops": stops, **handheld},
        "depot_bootstrap": depot_result,
        "delivery_event_push": per_delivery,
    }


def cli() -> None:
    logging.getLogger("httpx").setLevel(logging.WARNING)
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--docs", type=int, default=20_000)
    parser.add_argument("--stops", type=int, default=150)
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args()
    result = asyncio.run(main(args.docs, args.stops))
    print(json.dumps(result, indent=None if args.json else 2))


if __name__ == "__main__":
    cli()
