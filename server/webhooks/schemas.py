"""Webhook registration messages and the delivered event envelope."""

from __future__ import annotations

from typing import Annotated, Any

import msgspec

Url = Annotated[str, msgspec.Meta(min_length=8, max_length=2000, pattern=r"^https?://\S+$")]


class WebhookIn(msgspec.Struct, forbid_unknown_fields=True):
    url: Url
    merchant_id: Annotated[str, msgspec.Meta(max_length=200)] = ""  # office tokens only


class WebhookOut(msgspec.Struct):
    """A registered webhook; ``secret`` (the HMAC key) is shown only at registration."""

    id: str
    url: str
    merchant_id: str
    secret: str | None = None


class DeliveryOut(msgspec.Struct):
    """One queued delivery: delivered (``delivered_at_ms``), given up (``failed_at_ms``)
    or still due at ``next_at_ms``; ``last_error`` says why the last attempt failed."""

    id: int
    event: str
    attempts: int
    created_at_ms: int
    next_at_ms: int
    delivered_at_ms: int | None
    failed_at_ms: int | None
    last_error: str


class Envelope(msgspec.Struct):
    """What the receiver gets: ``event`` names the kind, ``data`` the facts."""

    id: str
    event: str
    created_at_ms: int
    data: dict[str, Any]
