"""The central node: sync endpoints, device trust, merchant API, webhooks."""

from .app import create_app
from .run import serve

__all__ = ["create_app", "serve"]
