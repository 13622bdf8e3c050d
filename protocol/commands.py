"""Domain commands: what a user did, kept beside each outbox update.

A command is replayable: after an upstream rejection the edge rebuilds the
document from the upstream's state and re-applies the commands still pending,
under a fresh Yjs client id.
"""

from __future__ import annotations

from typing import Any

import msgspec

from .events import Event, encode_event


class DocCommand(msgspec.Struct, frozen=True, forbid_unknown_fields=False):
    """``name`` and ``args`` say what the user did; ``info``/``events`` what it writes."""

    name: str
    doc_type: str
    info: dict[str, Any] = {}
    events: list[dict[str, Any]] = []
    args: dict[str, Any] = {}

    @classmethod
    def build(
        cls,
        name: str,
        doc_type: str,
        events: list[Event] | None = None,
        info: dict[str, Any] | None = None,
        **args: Any,
    ) -> DocCommand:
        """A command from typed events and info fields."""
        return cls(
            name=name,
            doc_type=doc_type,
            info=dict(info or {}),
            events=[encode_event(e) for e in events or []],
            args=args,
        )

    def encode(self) -> bytes:
        """MessagePack bytes for the outbox."""
        return msgspec.msgpack.encode(self)


command_decoder = msgspec.msgpack.Decoder(DocCommand)
