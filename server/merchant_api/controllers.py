"""``/api/v1/shipments`` and ``/api/v1/returns``: thin handlers over the services."""

from __future__ import annotations

from typing import Annotated

import msgspec
from litestar import Controller, Response, get, patch, post
from litestar.exceptions import ClientException
from litestar.params import Parameter

from protocol.permissions import Device

from ..auth import merchant_of, require_merchant_api
from ..followups.schemas import CorrectionIn, FollowUpOut
from ..followups.service import FollowUpService
from ..notifications.status import NotificationOut, shipment_notifications
from .labels import shipment_label
from .returns import ReturnService
from .schemas import (
    BulkIn,
    BulkOut,
    CancelIn,
    RefundIn,
    ReturnIn,
    ReturnOut,
    ShipmentIn,
    ShipmentOut,
    ShipmentPage,
)
from .services import ShipmentService, status_filter


class ShipmentController(Controller):
    path = "/api/v1/shipments"
    tags = ["shipments"]

    @post("/")
    async def create(
        self, data: ShipmentIn, device: Device, shipment_service: ShipmentService
    ) -> Response[ShipmentOut]:
        """Create one shipment; 201 when new, 200 with the same shipment for a known order_ref."""
        merchant = merchant_of(device, data.merchant_id)
        (result,) = await shipment_service.create_many(merchant, [data], device.id)
        if not result.ok or result.id is None:
            raise ClientException(result.error or "shipment rejected")
        shipment = await shipment_service.get(device, "doc_id", result.id)
        if result.otp:
            shipment = msgspec.structs.replace(shipment, otp=result.otp)
        return Response(shipment, status_code=201 if result.created else 200)

    @post("/bulk", status_code=200)
    async def bulk(
        self, data: BulkIn, device: Device, shipment_service: ShipmentService
    ) -> BulkOut:
        """Up to 1,000 shipments; each item succeeds or fails on its own."""
        merchants = {merchant_of(device, s.merchant_id) for s in data.shipments}
        if len(merchants) != 1:
            raise ClientException("a bulk request creates shipments for one merchant")
        results = await shipment_service.create_many(merchants.pop(), data.shipments, device.id)
        ok = [r for r in results if r.ok]
        created = sum(r.created for r in ok)
        return BulkOut(results, created, len(ok) - created, len(results) - len(ok))

    @get("/")
    async def list_shipments(
        self,
        device: Device,
        shipment_service: ShipmentService,
        status: str | None = None,
        updated_since: Annotated[int | None, Parameter(ge=0, le=10**13)] = None,
        cursor: Annotated[str, Parameter(max_length=100)] = "",
        limit: Annotated[int, Parameter(ge=1, le=500)] = 100,
    ) -> ShipmentPage:
        """Shipments in id order; ``updated_since`` in Unix ms; follow ``next_cursor``."""
        require_merchant_api(device)
        return await shipment_service.page(
            device, status_filter(status), updated_since, cursor, limit
        )

    @get("/{shipment_id:str}")
    async def read(
        self, shipment_id: str, device: Device, shipment_service: ShipmentService
    ) -> ShipmentOut:
        """One shipment with status, events and COD state."""
        require_merchant_api(device)
        return await shipment_service.get(device, "doc_id", shipment_id)

    @patch("/{shipment_id:str}")
    async def correct(
        self, shipment_id: str, data: CorrectionIn, device: Device, followups: FollowUpService
    ) -> FollowUpOut:
        """Correct the address or slot before the parcel is out for delivery (409 after:
        ask the depot with ``change-requests``)."""
        require_merchant_api(device)
        return await followups.correct(device, shipment_id, data)

    @get("/{shipment_id:str}/label.pdf", media_type="application/pdf")
    async def label(
        self, shipment_id: str, device: Device, shipment_service: ShipmentService
    ) -> Response[bytes]:
        """The 100 x 150 mm label (PDF): sort code and tracking number as Code 128."""
        require_merchant_api(device)
        pdf = await shipment_label(shipment_service.store, device, shipment_id)
        disposition = f'inline; filename="label-{shipment_id}.pdf"'
        return Response(
            pdf, media_type="application/pdf", headers={"content-disposition": disposition}
        )

    @get("/{shipment_id:str}/notifications")
    async def notifications(
        self, shipment_id: str, device: Device, shipment_service: ShipmentService
    ) -> list[NotificationOut]:
        """What the recipient was told (e-mail, SMS), and whether each message went out."""
        require_merchant_api(device)
        return await shipment_notifications(shipment_service.store, device, shipment_id)

    @get("/by-tracking/{tracking_number:str}")
    async def by_tracking(
        self, tracking_number: str, device: Device, shipment_service: ShipmentService
    ) -> ShipmentOut:
        """One shipment by its tracking number."""
        require_merchant_api(device)
        return await shipment_service.get(
            device, "tracking_number", tracking_number.strip().upper()
        )

    @post("/{shipment_id:str}/cancel", status_code=200)
    async def cancel(
        self,
        shipment_id: str,
        device: Device,
        shipment_service: ShipmentService,
        data: CancelIn | None = None,
    ) -> ShipmentOut:
        """Cancel before pickup; 409 once the shipment is out for delivery or later."""
        require_merchant_api(device)
        return await shipment_service.cancel(device, shipment_id, data.reason if data else "")


class ReturnController(Controller):
    path = "/api/v1/returns"
    tags = ["returns"]

    @post("/")
    async def create(
        self, data: ReturnIn, device: Device, return_service: ReturnService
    ) -> ReturnOut:
        """Request a return of items of a delivered shipment (409 otherwise); 400 naming
        ``items[n]`` for a SKU not shipped or more units than shipped (less earlier returns)."""
        require_merchant_api(device)
        return await return_service.create(device, data)

    @get("/{return_id:str}")
    async def read(
        self, return_id: str, device: Device, return_service: ReturnService
    ) -> ReturnOut:
        """One return with its items and grades."""
        require_merchant_api(device)
        return await return_service.get(device, return_id)

    @post("/{return_id:str}/refund", status_code=200)
    async def refund(
        self, return_id: str, data: RefundIn, device: Device, return_service: ReturnService
    ) -> ReturnOut:
        """Approve the refund of an inspected return; ``amount`` at most the recommendation."""
        require_merchant_api(device)
        return await return_service.refund(device, return_id, data.amount)
