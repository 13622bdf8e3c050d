"""Sync wire messages: MessagePack round trips, version handshake, evolution."""

from __future__ import annotations

from typing import Any

import msgspec
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from protocol.errors import ProtocolError, UnsupportedVersion
from protocol.wire import (
    PROTOCOL_VERSION,
    SCHEMA_VERSION,
    DocReset,
    DocUpdate,
    ErrorReply,
    Hello,
    ItemResult,
    Poke,
    PullRequest,
    PullResponse,
    PushItem,
    PushRequest,
    PushResponse,
    Scope,
    client_decoder,
    msgpack_encoder,
    server_decoder,
)

HELLO = Hello(device_id="dev-c1")
UPDATE = bytes(range(256))  # every byte value survives

CLIENT_MESSAGES = [
    PushRequest(hello=HELLO, items=[]),
    PushRequest(
        hello=HELLO,
        items=[
            PushItem(doc_id="d-1", doc_type="shipment", update=UPDATE),
            PushItem(
                doc_id="d-2",
                doc_type="cashbook",
                update=b"\x00\x01",
                command=b'{"cmd":"collect"}',
                origin_device="dev-c7",
            ),
        ],
    ),
    PullRequest(hello=HELLO),
    PullRequest(
        hello=Hello("dev-ams", protocol_version=PROTOCOL_VERSION, schema_version=SCHEMA_VERSION),
        cursor=12_345_678_901,
        scopes=[Scope("depot", "ams"), Scope("courier", "c1"), Scope("all")],
        limit=50,
        resync=["d-1", "d-2"],
        snapshot_after="d-0",
        reset_ack=17,
    ),
]

SERVER_MESSAGES = [
    PushResponse(results=[]),
    PushResponse(
        results=[
            ItemResult("d-1", accepted=True),
            ItemResult("d-2", accepted=False, code="forbidden_event", message="role courier ..."),
        ],
        cursor=42,
    ),
    PullResponse(updates=[], entering=[], leaving=[], cursor=0, has_more=False),
    PullResponse(
        updates=[DocUpdate("d-1", "shipment", UPDATE)],
        entering=[DocUpdate("d-3", "shipment", b"\x01")],
        leaving=["d-9"],
        cursor=2**40,
        has_more=True,
        snapshot=True,
        snapshot_after="d-3",
        resets=[
            DocReset(16, "d-4"),
            DocReset(17, "d-5", "shipment", "unknown_device", "not enrolled", UPDATE),
        ],
    ),
    Poke(cursor=7),
    ErrorReply(code="unsupported_version", message="hello.protocol_version 2 is newer"),
]


@pytest.mark.parametrize("message", CLIENT_MESSAGES, ids=repr)
def test_client_messages_round_trip(message: Any) -> None:
    data = msgpack_encoder.encode(message)
    decoded = client_decoder.decode(data)
    assert type(decoded) is type(message)
    assert decoded == message


@pytest.mark.parametrize("message", SERVER_MESSAGES, ids=repr)
def test_server_messages_round_trip(message: Any) -> None:
    data = msgpack_encoder.encode(message)
    decoded = server_decoder.decode(data)
    assert type(decoded) is type(message)
    assert decoded == message


@pytest.mark.parametrize("message", CLIENT_MESSAGES + SERVER_MESSAGES, ids=repr)
def test_messages_round_trip_as_json_for_debugging(message: Any) -> None:
    decoder = server_decoder if message in SERVER_MESSAGES else client_decoder
    json_decoder = msgspec.json.Decoder(decoder.type)
    assert json_decoder.decode(msgspec.json.encode(message)) == message


def test_messages_carry_their_tag() -> None:
    raw = msgspec.msgpack.decode(msgpack_encoder.encode(Poke(cursor=1)))
    assert raw == {"type": "Poke", "cursor": 1}


def test_updates_travel_as_binary_not_text() -> None:
    raw = msgspec.msgpack.decode(
        msgpack_encoder.encode(PushItem("d", "shipment", b"\xff\x00")), type=dict
    )
    assert raw["update"] == b"\xff\x00"


@pytest.mark.parametrize("message", SERVER_MESSAGES, ids=repr)
def test_a_server_message_is_not_a_client_message(message: Any) -> None:
    with pytest.raises(msgspec.ValidationError, match="type"):
        client_decoder.decode(msgpack_encoder.encode(message))


@pytest.mark.parametrize("message", CLIENT_MESSAGES, ids=repr)
def test_a_client_message_is_not_a_server_message(message: Any) -> None:
    with pytest.raises(msgspec.ValidationError, match="type"):
        server_decoder.decode(msgpack_encoder.encode(message))


@pytest.mark.parametrize(
    ("raw", "path"),
    [
        ({"type": "PullRequest", "hello": {"device_id": "d"}, "cursor": "0"}, "$.cursor"),
        ({"type": "PullRequest", "hello": {}}, "$.hello"),
        ({"type": "PullRequest"}, "hello"),
        (
            {"type": "PullRequest", "hello": {"device_id": "d"}, "scopes": [{"kind": "planet"}]},
            "$.scopes[0].kind",
        ),
        (
            {
                "type": "PushRequest",
                "hello": {"device_id": "d"},
                "items": [{"doc_id": "x", "doc_type": "shipment", "update": "text"}],
            },
            "$.items[0].update",
        ),
        ({"type": "Teleport"}, "$.type"),
    ],
)
def test_malformed_messages_name_the_field(raw: dict[str, Any], path: str) -> None:
    with pytest.raises(msgspec.ValidationError) as info:
        client_decoder.decode(msgspec.msgpack.encode(raw))
    assert path in str(info.value)


def test_garbage_bytes_are_a_decode_error() -> None:
    with pytest.raises(msgspec.DecodeError):
        client_decoder.decode(b"\xc1not msgpack")


def test_fields_added_by_a_newer_peer_are_ignored() -> None:
    raw = {
        "type": "PullRequest",
        "hello": {"device_id": "d", "battery": 80},
        "cursor": 5,
        "compression": "zstd",
    }
    decoded = client_decoder.decode(msgspec.msgpack.encode(raw))
    assert decoded == PullRequest(hello=Hello("d"), cursor=5)  # health, relayed: defaults


def test_an_older_peer_gets_defaults_for_missing_fields() -> None:
    raw = {
        "type": "PullResponse",
        "updates": [],
        "entering": [],
        "leaving": [],
        "cursor": 3,
        "has_more": False,
    }
    decoded = server_decoder.decode(msgspec.msgpack.encode(raw))
    assert isinstance(decoded, PullResponse)
    assert decoded.snapshot is False
    assert decoded.snapshot_after == ""
    assert decoded.resets == []


# --- handshake -----------------------------------------------------------------------


def test_hello_defaults_to_this_nodes_versions() -> None:
    assert HELLO.protocol_version == PROTOCOL_VERSION
    assert HELLO.schema_version == SCHEMA_VERSION
    HELLO.check()


@pytest.mark.parametrize(
    "hello",
    [
        Hello("d", protocol_version=0),
        Hello("d", schema_version=0),
        Hello("d", protocol_version=PROTOCOL_VERSION, schema_version=SCHEMA_VERSION),
    ],
)
def test_older_or_equal_versions_are_accepted(hello: Hello) -> None:
    hello.check()


@pytest.mark.parametrize(
    ("hello", "field"),
    [
        (Hello("d", protocol_version=PROTOCOL_VERSION + 1), "hello.protocol_version"),
        (Hello("d", protocol_version=PROTOCOL_VERSION + 100), "hello.protocol_version"),
        (Hello("d", schema_version=SCHEMA_VERSION + 1), "hello.schema_version"),
        (
            Hello("d", protocol_version=PROTOCOL_VERSION + 1, schema_version=SCHEMA_VERSION + 1),
            "hello.protocol_version",
        ),
    ],
)
def test_too_new_versions_raise_unsupported_version(hello: Hello, field: str) -> None:
    with pytest.raises(UnsupportedVersion) as info:
        hello.check()
    assert field in str(info.value)
    assert "upgrade" in str(info.value)
    assert isinstance(info.value, ProtocolError)
    assert info.value.code == "unsupported_version"


def test_a_too_new_hello_still_decodes_so_it_can_be_refused_by_name() -> None:
    raw = {"type": "PushRequest", "hello": {"device_id": "d", "protocol_version": 99}, "items": []}
    decoded = client_decoder.decode(msgspec.msgpack.encode(raw))
    assert isinstance(decoded, PushRequest)
    with pytest.raises(UnsupportedVersion, match="99"):
        decoded.hello.check()


# --- property ------------------------------------------------------------------------

texts = st.text(max_size=12)
doc_updates = st.builds(
    DocUpdate, texts, st.sampled_from(["shipment", "return", "cashbook"]), st.binary(max_size=64)
)
cursors = st.integers(min_value=0, max_value=2**63 - 1)


@settings(max_examples=200)
@given(
    message=st.one_of(
        st.builds(
            PushRequest,
            hello=st.builds(Hello, texts),
            items=st.lists(
                st.builds(
                    PushItem,
                    doc_id=texts,
                    doc_type=texts,
                    update=st.binary(max_size=64),
                    command=st.binary(max_size=16),
                    origin_device=st.none() | texts,
                ),
                max_size=4,
            ),
        ),
        st.builds(
            PullRequest,
            hello=st.builds(Hello, texts),
            cursor=cursors,
            scopes=st.lists(
                st.builds(Scope, st.sampled_from(["all", "depot", "courier", "merchant"]), texts),
                max_size=3,
            ),
            limit=st.integers(1, 10_000),
            resync=st.lists(texts, max_size=3),
            snapshot_after=texts,
        ),
        st.builds(
            PullResponse,
            updates=st.lists(doc_updates, max_size=3),
            entering=st.lists(doc_updates, max_size=3),
            leaving=st.lists(texts, max_size=3),
            cursor=cursors,
            has_more=st.booleans(),
            snapshot=st.booleans(),
            snapshot_after=texts,
        ),
        st.builds(
            PushResponse,
            results=st.lists(st.builds(ItemResult, texts, st.booleans(), texts, texts), max_size=3),
            cursor=cursors,
        ),
        st.builds(Poke, cursors),
        st.builds(ErrorReply, texts, texts),
    )
)
def test_any_message_round_trips(message: Any) -> None:
    decoder = client_decoder if isinstance(message, PushRequest | PullRequest) else server_decoder
    assert decoder.decode(msgpack_encoder.encode(message)) == message
