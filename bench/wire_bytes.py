"""Bytes on the wire per COD collection and per return grading: ``python -m bench.wire_bytes``.

The same loopback HTTP set-up as :mod:`bench.edge_bootstrap` (whose
delivery-event figure this completes): central seeded with a 150-stop route
and, here, 51 returns at the depot; a handheld and a depot bootstrap from it.
Then, through the edge commands a person would run:

- the courier collects the COD of one stop and pushes, then of 50 stops and
  pushes once (a shipment event plus a cash-book entry per collection);
- the returns desk grades one received return and pushes, then 50.

Each figure is the push request body (MessagePack) as sent; the baseline is
the bare Yjs updates the push carried.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import logging
import tempfile
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

import msgspec

from edge import commands
from edge.context import EdgeContext
from protocol.commands import DocCommand
from protocol.events import ItemInspection, ReturnRequested
from protocol.ids import named_id
from protocol.info import Item, ReturnInfo
from protocol.vocab import Disposition, Grade
from sync import ReplicaStore, SyncClient, commit_commands
from sync.http_transport import HttpChannel

from .edge_bootstrap import COURIER, DAY, DEPOT, bootstrap, seed_central, served

RETURNS = 51


def return_doc(i: int) -> tuple[str, DocCommand]:
    """Head office's RMA for shipment ``i`` of the bench depot (one item)."""
    info = ReturnInfo(
        shipment_id=named_id("bench-shipment", str(i)),
        merchant_id=f"M{i % 40}",
        reason="does not fit",
        items=[Item(f"SKU-{i % 7}", 1)],
        depot_id="D1",
    )
    requested = ReturnRequested(
        id=named_id("bench-return-requested", str(i)),
        hlc=f"{1_714_600_000_000 + i:013d}.000000.office",
        device="office",
        actor="seed",
    )
    command = DocCommand.build("request_return", "return", [requested], msgspec.to_builtins(info))
    return named_id("bench-return", str(i)), command


async def pushed_bytes(ctx: EdgeContext, url: str, token: str) -> dict[str, int]:
    """Push the outbox once; request body bytes and the Yjs update bytes it carried."""
    waiting = (await ctx.store.outbox_stats()).bytes
    async with HttpChannel(url, token) as channel:
        report = await SyncClient(ctx.store, channel, device_id=ctx.device_id).push()
        if report.rejected:
            raise RuntimeError(f"bench push refused: {await ctx.store.quarantined()}")
        return {"body": channel.bytes_sent, "updates": waiting}


async def per_action(
    ctx: EdgeContext, url: str, token: str, act: Callable[[int], Awaitable[object]]
) -> dict[str, float]:
    """Bytes pushed for ``act(0)`` alone, then per action for ``act(1..50)`` in one push."""
    await act(0)
    single = await pushed_bytes(ctx, url, token)
    for n in range(1, 51):
        await act(n)
    batch = await pushed_bytes(ctx, url, token)
    return {
        "single_push_bytes": single["body"],
        "single_update_bytes": single["updates"],
        "per_action_in_batch_of_50": round(batch["body"] / 50, 1),
        "update_bytes_per_action": round(batch["updates"] / 50, 1),
    }


async def cod_collection(hh: EdgeContext, url: str, token: str) -> dict[str, float]:
    """The courier goes out with 51 COD stops, then collects each stop's COD."""
    stops = [s for s in await commands.load_route(hh, DAY) if s.cod_amount][:51]
    for stop in stops:
        await commands.out_for_delivery(hh, stop.tracking_number)
    await pushed_bytes(hh, url, token)

    async def collect(n: int) -> object:
        return await commands.collect(hh, stops[n].tracking_number, stops[n].cod_amount)

    return await per_action(hh, url, token, collect)


async def return_grading(depot: EdgeContext, url: str, token: str) -> dict[str, float]:
    """The returns desk receives the 51 returns, then grades each one's item."""
    ids = [return_doc(i)[0] for i in range(RETURNS)]
    for return_id in ids:
        await commands.receive_return(depot, return_id)
    await pushed_bytes(depot, url, token)

    async def grade(n: int) -> object:
        line = ItemInspection(f"SKU-{n % 7}", Grade.SELLABLE, Disposition.RESTOCK)
        return await commands.inspect(depot, ids[n], [line])

    return await per_action(depot, url, token, grade)


async def run(docs: int = 300, stops: int = 150) -> dict[str, Any]:
    """Seed, serve, bootstrap a handheld and a depot, measure both actions."""
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        central, tokens = await seed_central(root / "central.db", docs, stops)
        await _seed_returns(central)
        async with served(central) as url:
            hh, _ = await bootstrap(root / "hh.db", COURIER, url, tokens[COURIER.id])
            depot, _ = await bootstrap(root / "depot.db", DEPOT, url, tokens[DEPOT.id])
            cod = await cod_collection(hh, url, tokens[COURIER.id])
            grading = await return_grading(depot, url, tokens[DEPOT.id])
            for ctx in (hh, depot):
                await ctx.close()
    return {"cod_collection": cod, "return_grading": grading}


async def _seed_returns(central: ReplicaStore) -> None:
    returns = [return_doc(i) for i in range(RETURNS)]
    await commit_commands(central, returns, device_id="office", queue=False)


def main() -> None:
    """Command-line entry point."""
    logging.getLogger("httpx").setLevel(logging.WARNING)
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--json", action="store_true", help="print one JSON object")
    args = parser.parse_args()
    print(json.dumps(asyncio.run(run()), indent=None if args.json else 2))


if __name__ == "__main__":
    main()
