"""Webhooks: merchants register URLs; a durable queue delivers signed events."""
