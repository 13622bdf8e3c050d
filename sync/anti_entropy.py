"""Anti-entropy: give back to an upstream the updates it lost.

An upstream restored from an older copy of its file (or a replaced disk) no
longer holds updates it acknowledged; the devices below it dropped them from
their outboxes. After a pull the client compares what both hold in its scopes,
cheaply when nothing differs:

1. it sends one digest of its state vectors there; an equal digest ends it
   (one small request);
2. otherwise the server answers with a digest per bucket (:data:`BUCKETS`
   buckets of documents, by a hash of their id), and the client asks for the
   server's state vectors in the buckets that differ;
3. for each document of those where the server lacks something, the client
   pushes the difference (``get_update(state, server's vector)``) through the
   ordinary, validated push: a device can only give back what it may write.

Digests hash decoded state vectors in a canonical order, never raw bytes
(Yjs encodings are not canonical).
"""

from __future__ import annotations

import hashlib
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Protocol

from pycrdt import get_update

from protocol.wire import (
    DocVector,
    Hello,
    PushItem,
    PushRequest,
    PushResponse,
    Scope,
    VectorsRequest,
    VectorsResponse,
)

from .ports import SyncStore
from .yencoding import covers, decode_state_vector

BUCKETS = 256
PUSH_BATCH = 200


class VectorsChannel(Protocol):
    """The calls anti-entropy makes (every :class:`.channel.Channel` has them)."""

    async def push(self, request: PushRequest) -> PushResponse: ...

    async def vectors(self, request: VectorsRequest) -> VectorsResponse: ...


@dataclass(slots=True)
class Repair:
    """What one anti-entropy exchange did."""

    requests: int = 0
    buckets: int = 0  # buckets whose digests differed
    sent: int = 0  # documents given back, accepted
    refused: int = 0  # given back and refused (the device may not write them)


def bucket_of(doc_id: str) -> int:
    """The bucket of a document: the first byte of a hash of its id."""
    return hashlib.blake2b(doc_id.encode(), digest_size=1).digest()[0]


def bucket_digests(vectors: Mapping[str, bytes]) -> list[bytes]:
    """One 16-byte digest per bucket of ``vectors`` (doc id -> encoded state vector)."""
    lines: list[list[str]] = [[] for _ in range(BUCKETS)]
    for doc_id, vector in vectors.items():
        clocks = sorted(decode_state_vector(vector).items())
        lines[bucket_of(doc_id)].append(f"{doc_id} {clocks}")
    return [hashlib.blake2b("\n".join(sorted(b)).encode(), digest_size=16).digest() for b in lines]


def scope_digest(buckets: Sequence[bytes]) -> bytes:
    """The digest of every bucket's digest."""
    return hashlib.blake2b(b"".join(buckets), digest_size=16).digest()


def answer(vectors: Mapping[str, bytes], request: VectorsRequest) -> VectorsResponse:
    """The server's answer to ``request`` from its ``vectors`` in the scopes asked for."""
    buckets = bucket_digests(vectors)
    digest = scope_digest(buckets)
    if request.buckets:
        wanted = set(request.buckets)
        return VectorsResponse(
            digest,
            vectors=[DocVector(d, v) for d, v in vectors.items() if bucket_of(d) in wanted],
        )
    return VectorsResponse(digest, [] if request.digest == digest else buckets)


def _lacking(
    mine: Mapping[str, bytes], theirs: Mapping[str, bytes], buckets: set[int]
) -> list[str]:
    """Documents of ``buckets`` holding something ``theirs`` has not seen."""
    return [
        doc_id
        for doc_id, vector in mine.items()
        if bucket_of(doc_id) in buckets
        and (
            doc_id not in theirs
            or not covers(decode_state_vector(theirs[doc_id]), decode_state_vector(vector))
        )
    ]


async def repair(
    store: SyncStore, channel: VectorsChannel, hello: Hello, scopes: list[Scope]
) -> Repair:
    """Compare this replica's documents in ``scopes`` (all of them: none named) with
    the upstream's and push back what it lacks."""
    report = Repair()
    mine = await (store.scope_vectors(scopes) if scopes else store.state_vectors())
    buckets = bucket_digests(mine)
    digest = scope_digest(buckets)
    first = await channel.vectors(VectorsRequest(hello, scopes, digest))
    report.requests = 1
    if first.digest == digest or not first.buckets:
        return report
    differ = [n for n in range(BUCKETS) if first.buckets[n] != buckets[n]]
    report.buckets = len(differ)
    second = await channel.vectors(VectorsRequest(hello, scopes, digest, differ))
    report.requests = 2
    theirs = {v.doc_id: v.state_vector for v in second.vectors}
    lacking = _lacking(mine, theirs, set(differ))
    for start in range(0, len(lacking), PUSH_BATCH):
        stored = await store.load(lacking[start : start + PUSH_BATCH])
        items = [
            PushItem(d.doc_id, d.doc_type, get_update(d.state, theirs.get(d.doc_id, b"\x00")))
            for d in stored.values()
        ]
        response = await channel.push(PushRequest(hello, items))
        report.requests += 1
        report.sent += sum(r.accepted for r in response.results)
        report.refused += sum(not r.accepted for r in response.results)
    return report
