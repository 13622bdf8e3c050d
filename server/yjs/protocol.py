"""Framing of the y-websocket protocol (y-protocols ``sync`` and ``awareness``).

Pure functions over bytes, no I/O. A frame is ``varUint message type`` then a
type-specific body: for SYNC a ``varUint`` sync step and one length-prefixed
payload (a state vector for step 1, an update for step 2 and update); for
AWARENESS one length-prefixed awareness update, which we only relay.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

from pycrdt import (
    Decoder,
    YMessageType,
    YSyncMessageType,
    create_update_message,
    get_state,
    get_update,
    write_message,
)

# Message types beyond pycrdt's enum (y-websocket's messageAuth, messageQueryAwareness).
AUTH = 2
QUERY_AWARENESS = 3


class Kind(StrEnum):
    """What a client frame asks of us."""

    SYNC_STEP1 = "sync_step1"  # payload: the client's state vector
    SYNC_STEP2 = "sync_step2"  # payload: an update (what we lack)
    UPDATE = "update"  # payload: an update (a local change)
    AWARENESS = "awareness"  # payload: the whole frame, relayed as is
    IGNORED = "ignored"  # auth, query-awareness: nothing to do


class ProtocolViolation(ValueError):
    """A frame that is not valid y-websocket."""


@dataclass(frozen=True, slots=True)
class Frame:
    """One decoded client frame."""

    kind: Kind
    payload: bytes


_SYNC_KINDS = {
    YSyncMessageType.SYNC_STEP1: Kind.SYNC_STEP1,
    YSyncMessageType.SYNC_STEP2: Kind.SYNC_STEP2,
    YSyncMessageType.SYNC_UPDATE: Kind.UPDATE,
}


def parse_frame(data: bytes) -> Frame:
    """Decode a client frame; ``ProtocolViolation`` if it is not one."""
    try:
        decoder = Decoder(data)
        message_type = decoder.read_var_uint()
        if message_type == YMessageType.AWARENESS:
            decoder.read_message()
            return Frame(Kind.AWARENESS, data)
        if message_type in (AUTH, QUERY_AWARENESS):
            return Frame(Kind.IGNORED, b"")
        if message_type != YMessageType.SYNC:
            raise ProtocolViolation(f"unknown message type {message_type}")
        step = decoder.read_var_uint()
        payload = decoder.read_message()
        if decoder.length < 0:
            raise ProtocolViolation("truncated frame: payload shorter than its length")
    except (IndexError, RuntimeError) as exc:
        raise ProtocolViolation(f"truncated frame: {exc}") from None
    if step not in _SYNC_KINDS:
        raise ProtocolViolation(f"unknown sync message type {step}")
    if payload is None:
        raise ProtocolViolation("sync frame without payload")
    return Frame(_SYNC_KINDS[YSyncMessageType(step)], payload)


def _sync_frame(step: YSyncMessageType, payload: bytes) -> bytes:
    return bytes([YMessageType.SYNC, step]) + write_message(payload)


def answer_step1(state: bytes, client_state_vector: bytes) -> bytes:
    """Sync step 2: what ``state`` has that the client (at its state vector) lacks."""
    try:
        diff = get_update(state, client_state_vector)
    except ValueError as exc:
        raise ProtocolViolation(f"state vector does not decode: {exc}") from None
    return _sync_frame(YSyncMessageType.SYNC_STEP2, diff)


def our_step1(state: bytes) -> bytes:
    """Sync step 1 with the stored state's vector, so the client sends what we lack."""
    return _sync_frame(YSyncMessageType.SYNC_STEP1, get_state(state))


def update_frame(update: bytes) -> bytes:
    """An ``update`` frame carrying ``update`` to other clients."""
    return create_update_message(update)


EMPTY_UPDATE = b"\x00\x00"


def is_empty(update: bytes) -> bool:
    """True for the update with no structs and no deletions (nothing to store)."""
    return update == EMPTY_UPDATE
