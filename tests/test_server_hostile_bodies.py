"""Hostile bodies (nested past any sane depth, integers past SQLite's range) get a
4xx naming what is wrong, on the sync routes and the merchant API alike."""

from __future__ import annotations

from typing import TYPE_CHECKING

import httpx
import msgspec
import pytest

if TYPE_CHECKING:
    from .server_fixtures import Central

pytest_plugins = ["tests.server_fixtures"]

DEEP = 1000
HELLO = {"device_id": "office-bootstrap"}


def _nested(depth: int) -> object:
    value: object = []
    for _ in range(depth - 1):
        value = [value]
    return value


def _deep_json(prefix: str) -> bytes:
    """A JSON object whose last field is an array nested ``DEEP`` levels."""
    return (prefix + "[" * DEEP + "]" * DEEP + "}").encode()


def _deep_msgpack(message: dict[str, object]) -> bytes:
    head = msgspec.msgpack.encode(message)
    # a fixmap of n+1 entries: the last one's value is the nested array
    count = head[0] & 0x0F
    deep = b"\x91" * (DEEP - 1) + b"\x90"
    return bytes([0x80 | (count + 1)]) + head[1:] + msgspec.msgpack.encode("extra") + deep


SYNC_CASES = {
    "push json nested": (
        "/sync/push",
        "application/json",
        _deep_json('{"type":"PushRequest","hello":{"device_id":"x"},"items":[],"extra":'),
        "nested",
    ),
    "pull json nested": (
        "/sync/pull",
        "application/json",
        _deep_json('{"type":"PullRequest","hello":{"device_id":"x"},"extra":'),
        "nested",
    ),
    "push msgpack nested": (
        "/sync/push",
        "application/msgpack",
        _deep_msgpack({"type": "PushRequest", "hello": HELLO, "items": []}),
        "nested",
    ),
    "pull msgpack nested": (
        "/sync/pull",
        "application/msgpack",
        _deep_msgpack({"type": "PullRequest", "hello": HELLO}),
        "nested",
    ),
    "pull cursor 2^63": (
        "/sync/pull",
        "application/msgpack",
        msgspec.msgpack.encode({"type": "PullRequest", "hello": HELLO, "cursor": 2**63}),
        "cursor",
    ),
    "pull cursor 2^64-1 json": (
        "/sync/pull",
        "application/json",
        msgspec.json.encode({"type": "PullRequest", "hello": HELLO, "cursor": 2**64 - 1}),
        "cursor",
    ),
    "pull reset_ack 2^63": (
        "/sync/pull",
        "application/msgpack",
        msgspec.msgpack.encode({"type": "PullRequest", "hello": HELLO, "reset_ack": 2**63}),
        "reset_ack",
    ),
}


@pytest.mark.parametrize("case", SYNC_CASES, ids=list(SYNC_CASES))
async def test_hostile_sync_body_is_a_4xx_naming_the_field(central: Central, case: str):
    path, media, body, field = SYNC_CASES[case]
    headers = {"authorization": f"Bearer {central.office_token}", "content-type": media}
    async with httpx.AsyncClient(base_url=central.url, timeout=20) as client:
        answer = await client.post(path, content=body, headers=headers)
    assert answer.status_code == 400, answer.content[:300]
    assert b"malformed_body" in answer.content
    assert field.encode() in answer.content


API_CASES = {
    "shipment nested": ("/api/v1/shipments", '{"order_ref":"x","currency":"EUR","parcels":'),
    "bulk nested": ("/api/v1/shipments/bulk", '{"shipments":'),
    "webhook nested": ("/api/v1/webhooks", '{"url":'),
    "device nested": ("/api/v1/devices", '{"role":'),
}


@pytest.mark.parametrize("case", API_CASES, ids=list(API_CASES))
def test_hostile_api_body_is_a_400_naming_the_problem(central: Central, case: str):
    path, prefix = API_CASES[case]
    with central.api() as api:
        answer = api.post(
            path, content=_deep_json(prefix), headers={"content-type": "application/json"}
        )
    assert answer.status_code == 400, answer.text[:300]
    assert "nested" in answer.text
