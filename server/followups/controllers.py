"""Follow-up endpoints: the merchant's (or head office's) answers and corrections under
``/api/v1/shipments``, head office's lost / found / attempts under ``/api/v1/office``."""

from __future__ import annotations

from litestar import Controller, get, post, put

from protocol.permissions import Device

from ..auth import require_merchant_api
from ..office.controllers import office_only
from .schemas import (
    AttemptsIn,
    AttemptsOut,
    CorrectionIn,
    DecisionIn,
    FollowUpOut,
    FoundIn,
    HistoryOut,
    LostIn,
)
from .service import FollowUpService


class FollowUpController(Controller):
    path = "/api/v1/shipments"
    tags = ["shipments"]

    @post("/{shipment_id:str}/decision", status_code=201)
    async def decide(
        self, shipment_id: str, data: DecisionIn, device: Device, followups: FollowUpService
    ) -> FollowUpOut:
        """Answer a hold: ``reattempt`` (with a date, address or slot) or ``return``; 409
        unless the shipment is on hold, 400 naming the field for a past date or bad slot."""
        require_merchant_api(device)
        return await followups.decide(device, shipment_id, data)

    @post("/{shipment_id:str}/change-requests", status_code=201)
    async def request_change(
        self, shipment_id: str, data: CorrectionIn, device: Device, followups: FollowUpService
    ) -> FollowUpOut:
        """Ask the depot for a new address or slot once the parcel is out; one open at a time."""
        require_merchant_api(device)
        return await followups.request_change(device, shipment_id, data)

    @get("/{shipment_id:str}/history")
    async def history(
        self, shipment_id: str, device: Device, followups: FollowUpService
    ) -> list[HistoryOut]:
        """Who did what to the shipment, when and why (reassignments, office decisions, ...)."""
        require_merchant_api(device)
        return await followups.history(device, shipment_id)


class OfficeFollowUpController(Controller):
    path = "/api/v1/office"
    tags = ["office"]

    @post("/shipments/{shipment_id:str}/lost", status_code=201)
    async def lost(
        self, shipment_id: str, data: LostIn, device: Device, followups: FollowUpService
    ) -> FollowUpOut:
        """Mark a parcel lost, saying who is liable; 409 for a finished one."""
        office_only(device)
        return await followups.mark_lost(device, shipment_id, data)

    @post("/shipments/{shipment_id:str}/found", status_code=201)
    async def found(
        self, shipment_id: str, data: FoundIn, device: Device, followups: FollowUpService
    ) -> FollowUpOut:
        """A lost parcel found again (at its depot unless ``depot_id`` says); 409 otherwise."""
        office_only(device)
        return await followups.found(device, shipment_id, data)

    @put("/merchants/{merchant_id:str}/max-attempts")
    async def set_attempts(
        self, merchant_id: str, data: AttemptsIn, device: Device, followups: FollowUpService
    ) -> AttemptsOut:
        """Failed attempts before the merchant's new shipments return to origin (default 3)."""
        office_only(device)
        return await followups.set_attempts(device, merchant_id, data.max_attempts)
