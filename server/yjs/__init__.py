"""Yjs compatibility: ``WS /yjs/{doc_id}`` speaks the y-websocket protocol."""

from .hub import YjsHub
from .routes import yjs_route

__all__ = ["YjsHub", "yjs_route"]
