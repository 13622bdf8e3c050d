"""``/api/v1/webhooks``: a merchant registers the URL its events are sent to."""

from __future__ import annotations

import secrets

from litestar import Controller, get, post

from protocol.ids import new_id
from protocol.permissions import Device
from sync._records import now_ms

from ..auth import merchant_of, require_merchant_api
from ..core import Central
from .schemas import WebhookIn, WebhookOut


class WebhookController(Controller):
    path = "/api/v1/webhooks"
    tags = ["webhooks"]

    @post("/")
    async def register(self, data: WebhookIn, device: Device, central: Central) -> WebhookOut:
        """Register a URL; the answer holds the HMAC secret, shown only here."""
        merchant = merchant_of(device, data.merchant_id)
        hook = WebhookOut(new_id(), data.url, merchant, secrets.token_urlsafe(32))
        async with central.store.transaction() as db:
            await db.execute(
                "INSERT INTO webhooks (webhook_id, merchant_id, url, secret, created_at) "
                "VALUES (?,?,?,?,?)",
                (hook.id, merchant, hook.url, hook.secret, now_ms()),
            )
        return hook

    @get("/")
    async def list_hooks(self, device: Device, central: Central) -> list[WebhookOut]:
        """The caller's webhooks (every merchant's for office)."""
        require_merchant_api(device)
        rows = await central.store.query(
            "SELECT webhook_id, url, merchant_id FROM webhooks WHERE disabled_at IS NULL "
            "AND (? = '' OR merchant_id = ?) ORDER BY webhook_id",
            (device.merchant_id or "", device.merchant_id or ""),
        )
        return [WebhookOut(r[0], r[1], r[2]) for r in rows]
