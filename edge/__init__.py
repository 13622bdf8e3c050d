"""The offline edge node: courier handheld and depot, SQLite-first, with a sync loop."""

from .context import EdgeContext, Identity, enroll, read_identity
from .errors import EdgeError
from .store import EdgeStore

__all__ = ["EdgeContext", "EdgeError", "EdgeStore", "Identity", "enroll", "read_identity"]
