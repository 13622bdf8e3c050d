"""Follow-ups written on central: each reads the shipment document, asks the pure rule
of :mod:`protocol.followups` whether it applies (else a 4xx naming the field, nothing
written) and appends one event with :func:`sync.ingest.commit_commands`, so it syncs to
the depot and the courier's handheld like any other fact."""

from __future__ import annotations

import asyncio
import hmac
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import UTC, date, datetime

import msgspec
from litestar.exceptions import ClientException

from protocol.commands import DocCommand
from protocol.delivery import effective_info, pending_requests
from protocol.errors import ProtocolError
from protocol.events import (
    ChangeRequested,
    DeliveryChanged,
    DeliveryFields,
    Event,
    FoundAgain,
    MarkedLost,
    RecipientRequest,
    SenderDecision,
    event_type,
)
from protocol.followups import (
    Refused,
    correction_refused,
    decision_refused,
    found_refused,
    lost_refused,
    recipient_refused,
)
from protocol.history import history
from protocol.hlc import HybridClock, Timestamp
from protocol.ids import new_id
from protocol.info import ShipmentInfo
from protocol.lifecycle import CORRECTABLE, REQUESTABLE, ShipmentState, fold_shipment
from protocol.permissions import Device
from protocol.vocab import Role
from sync.ingest import commit_commands
from sync.store import ReplicaStore

from ..merchant_api._shipment_doc import visible_shipment
from .schemas import (
    AttemptsOut,
    CorrectionIn,
    DecisionIn,
    FollowUpOut,
    FoundIn,
    HistoryOut,
    LostIn,
)
from .store import set_max_attempts

Notify = Callable[[int], Awaitable[None]]


@dataclass(frozen=True, slots=True)
class Folded:
    doc_id: str
    info: ShipmentInfo  # after every correction
    events: list[Event]
    state: ShipmentState


class RuleRefused(ClientException):
    """A follow-up a rule refused: the 4xx, with the :class:`Refused` it stands for."""

    def __init__(self, refused: Refused) -> None:
        super().__init__(str(refused), status_code=refused.status_code)
        self.refused = refused


def refuse(refused: Refused | None) -> None:
    """Raise the 4xx a rule's refusal stands for (its field first in the detail)."""
    if refused is not None:
        raise RuleRefused(refused)


def same_postcode(given: str, held: str) -> bool:
    """The recipient's postcode matches the shipment's (spaces and case aside; an empty
    one never matches)."""

    def norm(code: str) -> bytes:
        return "".join(code.split()).casefold().encode()

    return bool(norm(held)) and hmac.compare_digest(norm(given), norm(held))


def _fields(data: CorrectionIn, route_day: str = "") -> DeliveryFields:
    return DeliveryFields(
        route_day=route_day,
        address=data.address.strip(),
        postcode=data.postcode.strip(),
        city=data.city.strip(),
        slot_start=data.slot_start,
        slot_end=data.slot_end,
        reason=data.reason.strip(),
    )


class FollowUpService:
    """Answers to holds, corrections and requests, lost and found, history."""

    def __init__(
        self,
        store: ReplicaStore,
        clock: HybridClock,
        notify: Notify,
        device_id: str,
        wall: Callable[[], int],
    ):
        self.store, self.clock, self.notify, self.device_id = store, clock, notify, device_id
        self.wall = wall
        self._lock = asyncio.Lock()

    def today(self) -> str:
        """Central's UTC day by its injected clock."""
        return datetime.fromtimestamp(self.wall() / 1000, UTC).date().isoformat()

    async def folded(self, device: Device, shipment_id: str) -> Folded:
        """The shipment as it stands, if ``device`` may see it (else 404)."""
        info, events = await visible_shipment(self.store, device, shipment_id)
        return Folded(
            shipment_id, effective_info(info, events), events, fold_shipment(events, info.cod)
        )

    async def _append(
        self,
        device: Device,
        shipment_id: str,
        make: Callable[[Folded], Event],
    ) -> FollowUpOut:
        async with self._lock:
            shipment = await self.folded(device, shipment_id)
            self._observe(shipment.events)
            event = make(shipment)
            command = DocCommand.build(event_type(event), "shipment", [event])
            await commit_commands(
                self.store, [(shipment_id, command)], device_id=self.device_id, queue=False
            )
        await self.notify(await self.store.head())
        after = fold_shipment([*shipment.events, event], shipment.info.cod).status
        return FollowUpOut(shipment_id, event.id, event_type(event), after.value)

    def _observe(self, events: list[Event]) -> None:
        """Stamp after every event the answer follows, whatever the writers' clocks."""
        stamps = []
        for e in events:
            try:
                stamps.append(Timestamp.decode(e.hlc))
            except ProtocolError:
                continue  # stored before central refused such clocks
        if stamps:
            self.clock.observe(max(stamps))

    def _stamp(self, device: Device) -> dict[str, str]:
        return {
            "id": new_id(),
            "hlc": self.clock.now().encode(),
            "device": self.device_id,
            "actor": device.id,
        }

    async def decide(self, device: Device, shipment_id: str, data: DecisionIn) -> FollowUpOut:
        """Answer a hold: re-attempt (on a day, to an address, in a slot) or return."""

        def make(shipment: Folded) -> Event:
            fields = _fields(data, data.route_day)
            refuse(decision_refused(shipment.state.status, data.decision, fields, self.today()))
            body = SenderDecision.Body(decision=data.decision, **msgspec.structs.asdict(fields))
            return SenderDecision(**self._stamp(device), payload=body)

        return await self._append(device, shipment_id, make)

    async def correct(self, device: Device, shipment_id: str, data: CorrectionIn) -> FollowUpOut:
        """Correct the address or slot before the parcel is out for delivery."""

        def make(shipment: Folded) -> Event:
            status, fields = shipment.state.status, _fields(data)
            if status in REQUESTABLE:
                raise ClientException(
                    f"status: shipment is {status}: POST /api/v1/shipments/{shipment_id}"
                    "/change-requests for the depot to accept",
                    status_code=409,
                )
            refuse(correction_refused(status, fields, self.today(), []))
            return DeliveryChanged(**self._stamp(device), payload=fields)

        return await self._append(device, shipment_id, make)

    async def request_change(
        self, device: Device, shipment_id: str, data: CorrectionIn
    ) -> FollowUpOut:
        """Ask the depot for a correction once the parcel is out (it accepts or refuses)."""

        def make(shipment: Folded) -> Event:
            status, fields = shipment.state.status, _fields(data)
            if status in CORRECTABLE:
                raise ClientException(
                    f"status: shipment is {status}: correct it yourself with PATCH "
                    f"/api/v1/shipments/{shipment_id}",
                    status_code=409,
                )
            pending = pending_requests(shipment.events)
            refuse(correction_refused(status, fields, self.today(), pending))
            return ChangeRequested(**self._stamp(device), payload=fields)

        return await self._append(device, shipment_id, make)

    async def recipient_request(
        self, shipment_id: str, postcode: str, route_day: str, instructions: str
    ) -> FollowUpOut:
        """The recipient's new day and/or instructions, from the public tracking page,
        written by central: only with the shipment's postcode (else 401, whatever is
        wrong, so the page tells nothing about the parcel)."""
        central = Device(self.device_id, Role.OFFICE)

        def make(shipment: Folded) -> Event:
            if not same_postcode(postcode, shipment.info.postcode):
                refuse(Refused("postcode", "does not match this parcel", 401, "postcode"))
            status, said = shipment.state.status, instructions.strip()
            refuse(recipient_refused(status, route_day, said, self.today()))
            day = date.fromisoformat(route_day).isoformat() if route_day else ""
            body = RecipientRequest.Body(route_day=day, instructions=said)
            return RecipientRequest(**self._stamp(central), payload=body)

        return await self._append(central, shipment_id, make)

    async def mark_lost(self, device: Device, shipment_id: str, data: LostIn) -> FollowUpOut:
        """Head office marks a parcel lost, with who is liable."""

        def make(shipment: Folded) -> Event:
            refuse(lost_refused(shipment.state.status, data.liable))
            body = MarkedLost.Body(note=data.note.strip(), liable=data.liable.strip())
            return MarkedLost(**self._stamp(device), payload=body)

        return await self._append(device, shipment_id, make)

    async def found(self, device: Device, shipment_id: str, data: FoundIn) -> FollowUpOut:
        """Head office records a lost parcel found again (back at a depot)."""

        def make(shipment: Folded) -> Event:
            refuse(found_refused(shipment.state.status))
            depot = data.depot_id.strip() or shipment.info.depot_id
            body = FoundAgain.Body(depot_id=depot, note=data.note.strip())
            return FoundAgain(**self._stamp(device), payload=body)

        return await self._append(device, shipment_id, make)

    async def history(self, device: Device, shipment_id: str) -> list[HistoryOut]:
        """Who did what to the shipment, when and why, in fold order."""
        shipment = await self.folded(device, shipment_id)
        return [
            HistoryOut(e.event_id, e.kind, e.hlc, e.at_ms, e.who, e.what, e.why)
            for e in history(shipment.events)
        ]

    async def set_attempts(self, device: Device, merchant_id: str, attempts: int) -> AttemptsOut:
        """Set the failed attempts before the merchant's new shipments return to origin."""
        await set_max_attempts(self.store, merchant_id, attempts, self.wall(), device.id)
        return AttemptsOut(merchant_id, attempts)
