"""uvicorn vs granian serving the same central app: ``python -m bench.server_http [--json]``.

Each runner gets a fresh central (one worker) and the same three checks, in
the same run:

1. validated ingest over HTTP batch push (as ``bench.server_ingest``);
2. small requests: sequential idle pulls ("anything new?"), round trips/s;
3. both WebSocket endpoints answer: ``/sync/live`` pokes after a push and
   ``/yjs/{doc_id}`` answers a y-websocket sync step 1.

The ratios are granian over uvicorn; above 1 means granian is faster.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import tempfile
import time
from pathlib import Path

from websockets.asyncio.client import connect

from protocol.wire import Hello, PullRequest, PushItem, PushRequest, server_decoder
from sync.http_transport import HttpChannel

from .server_ingest import TOKEN, _enrol, _start, make_docs, push_all

SYNC_STEP1_EMPTY = b"\x00\x00\x01\x00"  # y-websocket: sync, step 1, empty state vector
SYNC_STEP2 = b"\x00\x01"


async def ingest(url: str, count: int) -> float:
    """Validated updates/s: ``count`` creations then one courier event each."""
    docs = list(make_docs(count, "C-http", 0))
    token = _enrol(url, role="courier", device_id="hh-C-http", depot_id="D1", courier_id="C-http")
    async with HttpChannel(url, TOKEN) as office, HttpChannel(url, token) as hh:
        seconds = await push_all(office, "office-bootstrap", [(d, c) for d, c, _ in docs])
        seconds += await push_all(hh, "hh-C-http", [(d, e) for d, _, e in docs])
    return 2 * count / seconds


async def small_requests(url: str, count: int) -> float:
    """Sequential idle pull round trips per second (the courier is caught up first)."""
    token = _enrol(url, role="courier", device_id="hh-idle", depot_id="D1", courier_id="C-idle")
    async with HttpChannel(url, token) as channel:
        head = await channel.pull(PullRequest(Hello("hh-idle"), 0))
        request = PullRequest(Hello("hh-idle"), head.cursor)
        start = time.perf_counter()
        for _ in range(count):
            await channel.pull(request)
        return count / (time.perf_counter() - start)


async def websockets_work(url: str) -> bool:
    """True when ``/sync/live`` pokes after a push and ``/yjs`` answers sync step 1."""
    ws = url.replace("http://", "ws://")
    auth = {"authorization": f"Bearer {TOKEN}"}
    [(doc_id, create, _)] = list(make_docs(1, "C-ws", 10**6))
    async with connect(ws + "/sync/live", additional_headers=auth, open_timeout=10) as live:
        async with HttpChannel(url, TOKEN) as office:
            await office.push(
                PushRequest(Hello("office-bootstrap"), [PushItem(doc_id, "shipment", create)])
            )
        poke = server_decoder.decode(await asyncio.wait_for(live.recv(decode=False), 10))
    async with connect(f"{ws}/yjs/{doc_id}?token={TOKEN}", open_timeout=10) as yjs:
        await yjs.send(SYNC_STEP1_EMPTY)
        answer = await asyncio.wait_for(yjs.recv(decode=False), 10)
    return type(poke).__name__ == "Poke" and answer.startswith(SYNC_STEP2)


async def measure(runner: str, count: int, pulls: int) -> dict[str, object]:
    """All three checks against a fresh central served by ``runner``."""
    with tempfile.TemporaryDirectory() as tmp:
        proc, url = _start(Path(tmp) / "central.db", runner)
        try:
            return {
                "runner": runner,
                "validated_updates_per_s": round(await ingest(url, count)),
                "idle_pulls_per_s": round(await small_requests(url, pulls)),
                "websockets_ok": await websockets_work(url),
            }
        finally:
            proc.terminate()
            proc.wait(10)


async def run(count: int, pulls: int, rounds: int) -> dict[str, object]:
    """Alternate the runners ``rounds`` times (the machine is shared); best of each."""
    results: dict[str, list[dict[str, object]]] = {"uvicorn": [], "granian": []}
    for _ in range(rounds):
        for runner in results:
            results[runner].append(await measure(runner, count, pulls))
    best = {
        runner: {
            "validated_updates_per_s": max(int(r["validated_updates_per_s"]) for r in rows),  # type: ignore[call-overload]
            "idle_pulls_per_s": max(int(r["idle_pulls_per_s"]) for r in rows),  # type: ignore[call-overload]
            "websockets_ok": all(bool(r["websockets_ok"]) for r in rows),
        }
        for runner, rows in results.items()
    }
    ratio = {
        key: round(best["granian"][key] / best["uvicorn"][key], 2)
        for key in ("validated_updates_per_s", "idle_pulls_per_s")
    }
    return {"best": best, "granian_over_uvicorn": ratio, "rounds": rounds}


def main() -> None:
    """Command-line entry point."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="1 round, 500 docs, 200 pulls")
    parser.add_argument("--json", action="store_true", help="print one JSON object")
    args = parser.parse_args()
    count, pulls, rounds = (500, 200, 1) if args.quick else (1000, 1000, 3)
    result = asyncio.run(run(count, pulls, rounds))
    print(json.dumps(result, indent=None if args.json else 2))


if __name__ == "__main__":
    main()
