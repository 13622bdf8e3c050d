"""Sync wire messages (msgspec; MessagePack on the wire, JSON for debugging).

The protocol evolves by adding fields with defaults only. Every request
carries a :class:`Hello` so a server can refuse a too-new peer by name.
"""

from __future__ import annotations

from typing import Annotated, Literal

import msgspec

from .errors import UnsupportedVersion

PROTOCOL_VERSION = 1
SCHEMA_VERSION = 1


Count = Annotated[int, msgspec.Meta(ge=0)]
Millis = Annotated[int, msgspec.Meta(ge=0)]
MAX_SEQ = 2**63 - 1  # SQLite integers are signed 64-bit
Seq = Annotated[int, msgspec.Meta(ge=0, le=MAX_SEQ)]  # a log position or reset id


class DeviceHealth(msgspec.Struct, frozen=True, forbid_unknown_fields=False):
    """A node's own sync health, as it reports it upstream with every request."""

    waiting: Count = 0  # outbox items not yet acknowledged upstream
    oldest_unsent_age_s: Annotated[float, msgspec.Meta(ge=0)] | None = None
    quarantined: Count = 0  # items the upstream refused, held on the device
    last_sync_ms: Millis | None = None  # last successful pull from its upstream
    app_version: Annotated[str, msgspec.Meta(max_length=64)] = ""
    schema_version: Count = 0  # of the device's replica file


class RelayedHealth(msgspec.Struct, frozen=True, forbid_unknown_fields=False):
    """A depot relay's latest word from one of its handhelds, forwarded to central."""

    device_id: Annotated[str, msgspec.Meta(min_length=1, max_length=128)]
    seen_ms: Millis  # when the relay last heard from it (its clock)
    health: DeviceHealth | None = None  # None: an older handheld that reports nothing


class Hello(msgspec.Struct, frozen=True, forbid_unknown_fields=False):
    """Who speaks, in which versions, and (newer clients) how it is doing."""

    device_id: str
    protocol_version: int = PROTOCOL_VERSION
    schema_version: int = SCHEMA_VERSION
    health: DeviceHealth | None = None
    relayed: Annotated[list[RelayedHealth], msgspec.Meta(max_length=1000)] = []

    def check(self) -> None:
        """Raise ``UnsupportedVersion`` for a peer newer than us."""
        if self.protocol_version > PROTOCOL_VERSION:
            raise UnsupportedVersion(
                f"hello.protocol_version {self.protocol_version} is newer than this node's "
                f"{PROTOCOL_VERSION}: upgrade the server"
            )
        if self.schema_version > SCHEMA_VERSION:
            raise UnsupportedVersion(
                f"hello.schema_version {self.schema_version} is newer than this node's "
                f"{SCHEMA_VERSION}: upgrade the server"
            )


class PushItem(msgspec.Struct, frozen=True, forbid_unknown_fields=False):
    """One document update from an outbox, with the command that produced it."""

    doc_id: str
    doc_type: str
    update: bytes
    command: bytes = b""
    origin_device: str | None = None  # set by a relay: who really wrote it


class PushRequest(msgspec.Struct, tag=True, frozen=True, forbid_unknown_fields=False):
    hello: Hello
    items: list[PushItem]


class ItemResult(msgspec.Struct, frozen=True, forbid_unknown_fields=False):
    """Answer for one pushed item, in the order pushed."""

    doc_id: str
    accepted: bool
    code: str = "ok"
    message: str = ""


class PushResponse(msgspec.Struct, tag=True, frozen=True, forbid_unknown_fields=False):
    results: list[ItemResult]
    cursor: int = 0


class Scope(msgspec.Struct, frozen=True, forbid_unknown_fields=False):
    """A slice of the data: everything, a depot, a courier's route, a merchant."""

    kind: Literal["all", "depot", "courier", "merchant"]
    key: str = ""


class PullRequest(msgspec.Struct, tag=True, frozen=True, forbid_unknown_fields=False):
    hello: Hello
    cursor: Seq = 0
    scopes: list[Scope] = []
    limit: int = 500
    resync: list[str] = []  # doc ids the client wants whole (after a rejection)
    snapshot_after: str = ""  # resume a paged snapshot after this doc id
    reset_ack: Seq = 0  # every DocReset up to this id is applied on the client
    replica: str = ""  # the upstream replica file ``cursor`` and ``reset_ack`` came from


class DocReset(msgspec.Struct, frozen=True, forbid_unknown_fields=False):
    """Server to client: rebuild ``doc_id`` from the server's state.

    With a ``code``, it also tells the device that an update it wrote (``update``,
    accepted by a relay) was refused further upstream, and why.
    """

    id: Count  # acknowledged with ``PullRequest.reset_ack``
    doc_id: str
    doc_type: str = ""
    code: str = ""  # "" : a rebuild only, nothing of this device's was refused
    message: str = ""
    update: bytes = b""


class DocUpdate(msgspec.Struct, frozen=True, forbid_unknown_fields=False):
    doc_id: str
    doc_type: str
    update: bytes


class PullResponse(msgspec.Struct, tag=True, frozen=True, forbid_unknown_fields=False):
    updates: list[DocUpdate]
    entering: list[DocUpdate]  # whole state of documents that entered scope
    leaving: list[str]
    cursor: int
    has_more: bool
    snapshot: bool = False  # the cursor was older than the log: whole states sent
    snapshot_after: str = ""  # with has_more during a snapshot: resume after this doc id
    resets: list[DocReset] = []  # documents to rebuild, refusals of the device's updates
    replica: str = ""  # the answering replica file (older servers: "")


class VectorsRequest(msgspec.Struct, tag=True, frozen=True, forbid_unknown_fields=False):
    """Anti-entropy: does the server hold what the client holds in ``scopes``?

    ``digest`` is the client's digest of its state vectors there (see
    :mod:`sync.anti_entropy`); with ``buckets`` the client asks for the server's
    state vectors of the documents in those buckets.
    """

    hello: Hello
    scopes: list[Scope] = []
    digest: bytes = b""
    buckets: list[int] = []


class DocVector(msgspec.Struct, frozen=True, forbid_unknown_fields=False):
    doc_id: str
    state_vector: bytes


class VectorsResponse(msgspec.Struct, tag=True, frozen=True, forbid_unknown_fields=False):
    """The server's digest of the scopes; when it differs from the client's, the
    digest of each bucket; the state vectors of the buckets asked for."""

    digest: bytes
    buckets: list[bytes] = []
    vectors: list[DocVector] = []


class Poke(msgspec.Struct, tag=True, frozen=True, forbid_unknown_fields=False):
    """Server to client over the live socket: there is news after ``cursor``."""

    cursor: int


class ErrorReply(msgspec.Struct, tag=True, frozen=True, forbid_unknown_fields=False):
    code: str
    message: str


ClientMessage = PushRequest | PullRequest | VectorsRequest
ServerMessage = PushResponse | PullResponse | VectorsResponse | Poke | ErrorReply

msgpack_encoder = msgspec.msgpack.Encoder()
client_decoder = msgspec.msgpack.Decoder(ClientMessage)
server_decoder = msgspec.msgpack.Decoder(ServerMessage)
