"""What a push carries: gzip bodies over the real depot relay on 127.0.0.1, bad
encodings refused, and one writer per document in a batch.

A handheld's channel learns from the relay's ``Accept-Encoding: gzip`` answer
that it may gzip its pushes; a body in an unknown coding, a broken gzip stream
or one that inflates past the size limit is refused with a 4xx naming the
problem, and the relay's replica is left exactly as it was.
"""

from __future__ import annotations

import zlib
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from pathlib import Path

import httpx
import pytest
from hypothesis import given
from hypothesis import strategies as st

from edge import commands as c
from edge.context import EdgeContext
from edge.relay import DepotRelay
from protocol.ids import make_tracking_number
from protocol.wire import ErrorReply, Hello, PushItem, PushRequest, msgpack_encoder, server_decoder
from sync import SyncClient
from sync.http_transport import (
    MAX_BODY,
    MSGPACK,
    BodyTooLarge,
    HttpChannel,
    MalformedBody,
    UnsupportedMediaType,
    inflate,
)
from tests._edge_world import DEPOT_DEVICE, handheld, node, seed, shipment_command, snapshot

TN = make_tracking_number
TOKEN = "hh-token-for-the-wire-tests"


def gzip(body: bytes) -> bytes:
    return zlib.compress(body, wbits=31)


@asynccontextmanager
async def relay_and_handheld(
    tmp_path: Path,
) -> AsyncIterator[tuple[str, EdgeContext, EdgeContext, SyncClient]]:
    """A depot relay holding 30 shipments of C1; C1's handheld and its gzip client, synced."""
    depot = await node(tmp_path / "depot.db", DEPOT_DEVICE)
    await seed(depot.store, [shipment_command(i) for i in range(1, 31)])
    device = handheld()
    await depot.store.enroll(device, token=TOKEN)
    relay = DepotRelay(depot.store, "127.0.0.1", 0)
    await relay.start()
    hh = await node(tmp_path / "hh.db", device)
    url = f"http://127.0.0.1:{relay.port}"
    channel = HttpChannel(url, TOKEN, compress=True)
    try:
        client = SyncClient(hh.store, channel, device_id=device.id)
        await client.pull()
        yield url, depot, hh, client
    finally:
        await channel.aclose()
        await relay.stop()
        await hh.close()
        await depot.close()


async def test_a_handheld_gzips_its_pushes_once_the_relay_accepts_gzip(tmp_path: Path) -> None:
    async with relay_and_handheld(tmp_path) as (_, depot, hh, client):
        channel = client.channel
        assert isinstance(channel, HttpChannel) and channel.gzip  # learnt from the pull
        for i in range(1, 31):
            await c.deliver(hh, TN(i), recipient_name="Ann")
        bare = sum(len(e.update) for e in await client.store.outbox_pending(100))
        before = channel.bytes_sent
        report = await client.push()
        assert (report.pushed, report.rejected) == (30, 0)
        assert channel.bytes_sent - before < bare / 2  # less than the bare Yjs updates
        rows = await depot.store.query(
            "SELECT count(*) FROM p_shipments WHERE status = 'delivered'"
        )
        assert rows == [(30,)]


BAD_BODIES: list[tuple[str, Callable[[bytes], bytes], int, str, str]] = [
    ("br", lambda body: body, 415, "unsupported_media_type", "Content-Encoding 'br'"),
    ("gzip", lambda body: body, 400, "malformed_body", "does not inflate"),
    ("gzip", lambda body: gzip(body)[:-8], 400, "malformed_body", "truncated"),
    ("gzip", lambda body: gzip(body + bytes(MAX_BODY)), 413, "body_too_large", "inflates past"),
]


@pytest.mark.parametrize(("coding", "make", "status", "code", "says"), BAD_BODIES)
async def test_bad_encodings_are_refused_and_change_nothing(
    tmp_path: Path,
    coding: str,
    make: Callable[[bytes], bytes],
    status: int,
    code: str,
    says: str,
) -> None:
    async with relay_and_handheld(tmp_path) as (url, depot, hh, client):
        await c.deliver(hh, TN(1), recipient_name="Ann")
        items = [
            PushItem(e.doc_id, e.doc_type, e.update) for e in await client.store.outbox_pending(10)
        ]
        body = msgpack_encoder.encode(PushRequest(Hello(hh.device_id), items))
        before = await snapshot(depot.store)
        headers = {"authorization": f"Bearer {TOKEN}", "content-type": MSGPACK}
        async with httpx.AsyncClient(base_url=url) as http:
            answer = await http.post(
                "/sync/push", content=make(body), headers=headers | {"content-encoding": coding}
            )
        reply = server_decoder.decode(answer.content)
        assert isinstance(reply, ErrorReply)
        assert (answer.status_code, reply.code) == (status, code)
        assert says in reply.message
        assert await snapshot(depot.store) == before


@given(st.binary(max_size=4096), st.integers(0, 5000), st.sampled_from(["gzip", " GZIP "]))
def test_inflate_undoes_gzip_up_to_the_limit(body: bytes, limit: int, coding: str) -> None:
    if len(body) <= limit:
        assert inflate(gzip(body), coding, limit) == body
    else:
        with pytest.raises(BodyTooLarge):
            inflate(gzip(body), coding, limit)
    assert inflate(body, None, limit) == inflate(body, "identity", limit) == body


@given(st.binary(max_size=2048), st.integers(1, 30))
def test_a_cut_gzip_stream_is_malformed(body: bytes, cut: int) -> None:
    packed = gzip(body)
    with pytest.raises(MalformedBody):
        inflate(packed[: max(0, len(packed) - cut)], "gzip", 1 << 20)


@given(st.sampled_from(["br", "zstd", "deflate", "gzip, br"]))
def test_unknown_codings_are_unsupported(coding: str) -> None:
    with pytest.raises(UnsupportedMediaType, match="Content-Encoding"):
        inflate(gzip(b"body"), coding, 1 << 20)
