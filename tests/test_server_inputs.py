"""Bad input of every kind gets a 4xx with a clear message and stores nothing."""

from __future__ import annotations

from typing import TYPE_CHECKING

import httpx
import msgspec
import pytest

from protocol.ids import new_id
from protocol.wire import (
    ErrorReply,
    Hello,
    PushItem,
    PushRequest,
    PushResponse,
    msgpack_encoder,
    server_decoder,
)

if TYPE_CHECKING:
    from .server_fixtures import Central, Names

pytest_plugins = ["tests.server_fixtures"]

MSGPACK = {"content-type": "application/msgpack"}


def _push(items: list[PushItem], protocol_version: int = 1) -> bytes:
    hello = Hello("office-bootstrap", protocol_version=protocol_version)
    return msgpack_encoder.encode(PushRequest(hello, items))


GOOD_PUSH = _push([])


async def _head(client: httpx.AsyncClient) -> int:
    """The log head, as an empty push reports it."""
    answer = await client.post("/sync/push", content=GOOD_PUSH, headers=MSGPACK)
    reply = server_decoder.decode(answer.content)
    assert isinstance(reply, PushResponse)
    return reply.cursor


BAD_REQUESTS = {
    "wrong content type": ({"content-type": "text/plain"}, GOOD_PUSH, 415, "unsupported_media"),
    "no content type": ({"content-type": ""}, GOOD_PUSH, 415, "unsupported_media"),
    "truncated msgpack": (MSGPACK, GOOD_PUSH[:-3], 400, "malformed_body"),
    "garbage": (MSGPACK, b"\xc1\xff\x00garbage", 400, "malformed_body"),
    "wrong message": (MSGPACK, msgpack_encoder.encode(ErrorReply("x", "y")), 400, "malformed"),
    "bad json": ({"content-type": "application/json"}, b'{"hello": ', 400, "malformed_body"),
    "too new": (MSGPACK, _push([], protocol_version=99), 426, "unsupported_version"),
    "undecodable update": (
        MSGPACK,
        _push([PushItem(new_id(), "shipment", b"\x01\x02\x03not-yjs")]),
        422,
        "bad_update",
    ),
    "unknown doc type": (
        MSGPACK,
        _push([PushItem(new_id(), "parcel-locker", b"\x00\x00")]),
        422,
        "unknown_doc_type",
    ),
    "doc id not a uuid": (
        MSGPACK,
        _push([PushItem("../../etc", "shipment", b"\x00\x00")]),
        422,
        "invalid_doc_id",
    ),
    "huge body": (MSGPACK, b"\x00" * (9 * 1024 * 1024), 413, "body_too_large"),
}


@pytest.mark.parametrize("case", BAD_REQUESTS, ids=list(BAD_REQUESTS))
async def test_bad_push_is_refused_and_stores_nothing(central: Central, case: str):
    headers, body, status, code = BAD_REQUESTS[case]
    auth = {"authorization": f"Bearer {central.office_token}"}
    async with httpx.AsyncClient(base_url=central.url, headers=auth, timeout=20) as client:
        before = await _head(client)
        answer = await client.post("/sync/push", content=body, headers=headers)
        after = await _head(client)
    assert answer.status_code == status, answer.content[:300]
    assert code.encode() in answer.content
    assert after == before
    if answer.headers["content-type"].startswith("application/msgpack"):
        reply = server_decoder.decode(answer.content)
        assert isinstance(reply, ErrorReply | PushResponse)


@pytest.mark.parametrize("token", [None, "not-a-token"])
async def test_missing_or_unknown_token_is_401(central: Central, token: str | None):
    headers = dict(MSGPACK)
    if token:
        headers["authorization"] = f"Bearer {token}"
    async with httpx.AsyncClient(base_url=central.url) as client:
        answer = await client.post("/sync/pull", content=GOOD_PUSH, headers=headers)
    assert answer.status_code == 401
    reply = server_decoder.decode(answer.content)
    assert isinstance(reply, ErrorReply) and reply.code == "unauthorized"


async def test_json_debugging_round_trip(central: Central, names: Names):
    _, token = central.enrol("depot", depot_id=names.depot)
    body = {"hello": {"device_id": "x"}, "cursor": 0, "scopes": [{"kind": "all"}]}
    async with httpx.AsyncClient(base_url=central.url) as client:
        denied = await client.post(
            "/sync/pull", json=body, headers={"authorization": f"Bearer {token}"}
        )
        body["scopes"] = []
        ok = await client.post(
            "/sync/pull", json=body, headers={"authorization": f"Bearer {token}"}
        )
    assert denied.status_code == 403
    assert denied.json()["code"] == "scope_denied"
    assert ok.status_code == 200
    assert ok.headers["content-type"].startswith("application/json")
    assert msgspec.json.decode(ok.content)["type"] == "PullResponse"
