"""Sync endpoints: ``POST /sync/push``, ``POST /sync/pull``, ``WS /sync/live``."""

from .routes import sync_handlers

__all__ = ["sync_handlers"]
