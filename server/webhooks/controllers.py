"""``/api/v1/webhooks``: a merchant registers, lists, rotates and deletes the URLs
its events are sent to, and sees their recent deliveries."""

from __future__ import annotations

import secrets

from litestar import Controller, delete, get, post
from litestar.exceptions import NotFoundException, ValidationException

from protocol.ids import new_id
from protocol.permissions import Device
from protocol.vocab import Role
from sync._records import now_ms

from ..auth import merchant_of, require_merchant_api
from ..core import Central
from .schemas import DeliveryOut, WebhookIn, WebhookOut
from .store import (
    add_hook,
    disable_hook,
    live_hook,
    live_hooks,
    recent_deliveries,
    set_secret,
)
from .targets import resolved_refusal

RECENT = 50  # deliveries shown per webhook


async def _owned(central: Central, device: Device, webhook_id: str) -> tuple[str, str, str]:
    """The caller's live webhook ``(id, url, merchant)``, else 404 (office: any merchant's)."""
    require_merchant_api(device)
    hook = await live_hook(central.store, webhook_id)
    if hook is None or (device.role != Role.OFFICE and hook[2] != device.merchant_id):
        raise NotFoundException(f"webhook {webhook_id} not found")
    return hook


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
        await add_hook(central.store, hook.id, merchant, hook.url, hook.secret or "", now_ms())
        return hook

    @get("/")
    async def list_hooks(self, device: Device, central: Central) -> list[WebhookOut]:
        """The caller's webhooks (every merchant's for office)."""
        require_merchant_api(device)
        hooks = await live_hooks(central.store, device.merchant_id or "")
        return [WebhookOut(*hook) for hook in hooks]

    @delete("/{webhook_id:str}")
    async def remove(self, webhook_id: str, device: Device, central: Central) -> None:
        """Stop sending to this webhook (its queued deliveries are dropped)."""
        await _owned(central, device, webhook_id)
        await disable_hook(central.store, webhook_id, now_ms())

    @post("/{webhook_id:str}/rotate", status_code=200)
    async def rotate(self, webhook_id: str, device: Device, central: Central) -> WebhookOut:
        """A new HMAC secret (shown only here); the old one stops signing at once."""
        hook_id, url, merchant = await _owned(central, device, webhook_id)
        secret = secrets.token_urlsafe(32)
        await set_secret(central.store, webhook_id, secret)
        return WebhookOut(hook_id, url, merchant, secret)

    @get("/{webhook_id:str}/deliveries")
    async def deliveries(
        self, webhook_id: str, device: Device, central: Central
    ) -> list[DeliveryOut]:
        """The most recent deliveries of this webhook, newest first."""
        await _owned(central, device, webhook_id)
        return [DeliveryOut(*r) for r in await recent_deliveries(central.store, webhook_id, RECENT)]
