"""CRDT documents, the SQLite replica store and transport-agnostic sync sessions.

The names below are imported from their modules on first use (PEP 562), so a
one-shot edge command that only writes its replica does not load the server
side of sync (validation, the server session).
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from .channel import Channel, ChannelClosed, InMemoryChannel
    from .client_session import SyncClient, SyncReport
    from .documents import Content, apply_command, load, read_content
    from .errors import BadUpdate, ScopeDenied, StoreError, SyncError, UnknownDocType
    from .ingest import commit_commands
    from .projection import project
    from .scopes import device_scopes
    from .server_session import SyncServer
    from .store import ReplicaStore

_HOME = {
    "BadUpdate": "errors",
    "Channel": "channel",
    "ChannelClosed": "channel",
    "Content": "documents",
    "InMemoryChannel": "channel",
    "ReplicaStore": "store",
    "ScopeDenied": "errors",
    "StoreError": "errors",
    "SyncClient": "client_session",
    "SyncError": "errors",
    "SyncReport": "client_session",
    "SyncServer": "server_session",
    "UnknownDocType": "errors",
    "apply_command": "documents",
    "commit_commands": "ingest",
    "device_scopes": "scopes",
    "load": "documents",
    "project": "projection",
    "read_content": "documents",
}

__all__ = [
    "BadUpdate",
    "Channel",
    "ChannelClosed",
    "Content",
    "InMemoryChannel",
    "ReplicaStore",
    "ScopeDenied",
    "StoreError",
    "SyncClient",
    "SyncError",
    "SyncReport",
    "SyncServer",
    "UnknownDocType",
    "apply_command",
    "commit_commands",
    "device_scopes",
    "load",
    "project",
    "read_content",
]


def __getattr__(name: str) -> Any:
    """``sync.<name>``, imported from its module the first time it is asked for."""
    home = _HOME.get(name)
    if home is None:
        raise AttributeError(f"module 'sync' has no attribute {name!r}")
    value = getattr(importlib.import_module(f".{home}", __name__), name)
    globals()[name] = value
    return value
