"""CRDT documents, the SQLite replica store and transport-agnostic sync sessions."""

from .channel import Channel, ChannelClosed, InMemoryChannel
from .client_session import SyncClient, SyncReport
from .documents import Content, apply_command, load, read_content
from .errors import BadUpdate, ScopeDenied, StoreError, SyncError, UnknownDocType
from .ingest import commit_commands
from .projection import project
from .scopes import device_scopes
from .server_session import SyncServer
from .store import ReplicaStore

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
