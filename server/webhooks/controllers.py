"""``/api/v1/webhooks``: a merchant registers, lists, rotates and deletes the URLs
its events are sent to, and sees their recent deliveries."""

from __future__ import annotations

import secrets
from typing import Any

from litestar import Controller, delete, get, post
from litestar.exceptions import NotFoundException, ValidationException

from protocol.ids import new_id
from protocol.permissions import Device
from protocol.vocab import Role
from sync._records import now_ms

from ..auth import merchant_of, require_merchant_api
from ..core import Central
from .schemas import DeliveryOut, WebhookIn, WebhookOut
from .targets import resolved_refusal

RECENT = 50  # deliveries shown per webhook


async def _owned(central: Central, device: Device, webhook_id: str) -> tuple[Any, ...]:
    """The caller's live webhook ``(id, url, merchant)``, else 404 (office: any merchant's)."""
    require_merchant_api(device)
    rows = await central.store.query(
        "SELECT webhook_id, url, merchant_id FROM webhooks WHERE webhook_id = ? "
        "AND disabled_at IS NULL",
        (webhook_id,),
    )
    if not rows or (device.role != Role.OFFICE and rows[0][2] != device.merchant_id):
        raise NotFoundException(f"webhook {webhook_id} not found")
    return rows[0]


class WebhookController(Controller):
    path = "/api/v1/webhooks"
    tags = ["webhooks"]

    @post("/")
    async def register(self, data: WebhookIn, device: Device, central: Central) -> WebhookOut:
        """Register a URL; the answer holds the HMAC secret, shown only here.
        A URL at a loopback, link-local or private address is refused (400)."""
        merchant = merchant_of(device, data.merchant_id)
        refusal = await resolved_refusal(data.url, central.webhook_allow_private)
        if refusal:
            raise ValidationException(refusal, extra=[{"key": "url", "message": refusal}])
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

    @delete("/{webhook_id:str}")
    async def remove(self, webhook_id: str, device: Device, central: Central) -> None:
        """Stop sending to this webhook (its queued deliveries are dropped)."""
        await _owned(central, device, webhook_id)
        async with central.store.transaction() as db:
            await db.execute(
                "UPDATE webhooks SET disabled_at = ? WHERE webhook_id = ?", (now_ms(), webhook_id)
            )

    @post("/{webhook_id:str}/rotate", status_code=200)
    async def rotate(self, webhook_id: str, device: Device, central: Central) -> WebhookOut:
        """A new HMAC secret (shown only here); the old one stops signing at once."""
        hook_id, url, merchant = await _owned(central, device, webhook_id)
        secret = secrets.token_urlsafe(32)
        async with central.store.transaction() as db:
            await db.execute(
                "UPDATE webhooks SET secret = ? WHERE webhook_id = ?", (secret, webhook_id)
            )
        return WebhookOut(hook_id, url, merchant, secret)

    @get("/{webhook_id:str}/deliveries")
    async def deliveries(
        self, webhook_id: str, device: Device, central: Central
    ) -> list[DeliveryOut]:
        """The most recent deliveries of this webhook, newest first."""
        await _owned(central, device, webhook_id)
        rows = await central.store.query(
            "SELECT id, event, attempts, created_at, next_at, delivered_at, failed_at, "
            "last_error FROM webhook_queue WHERE webhook_id = ? ORDER BY id DESC LIMIT ?",
            (webhook_id, RECENT),
        )
        return [DeliveryOut(*r) for r in rows]
