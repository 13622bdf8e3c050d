"""What people do on each node, as document commands (no edge rules applied).

Used by the convergence properties and the simulator to generate realistic
concurrent writes: couriers deliver, fail and collect cash, depots scan,
count and reassign, head office edits and resolves.
"""

from __future__ import annotations

import random
import uuid
from dataclasses import dataclass

import msgspec

from protocol.commands import DocCommand
from protocol.events import (
    AttemptFailed,
    CashCollected,
    CashCounted,
    CashHandedOver,
    CodCollected,
    CodCollectedPayload,
    CollectedPayload,
    CountPayload,
    Delivered,
    Event,
    HandoverPayload,
    OutForDelivery,
    ProofOfDelivery,
    ReceivedAtDepot,
    ShipmentCreated,
    Stamp,
)
from protocol.hlc import HybridClock
from protocol.ids import courier_book_id, make_tracking_number
from protocol.info import CashBookInfo, ShipmentInfo
from protocol.vocab import FailureReason, PodRelation

Command = tuple[str, DocCommand]


@dataclass(slots=True)
class Actor:
    """A person on a node: stamps events with the node's device and HLC."""

    device_id: str
    actor: str
    clock: HybridClock
    rng: random.Random

    def new_id(self) -> str:
        """A UUID drawn from the actor's seeded generator (replayable)."""
        return str(uuid.UUID(int=self.rng.getrandbits(128), version=4))

    def stamp(self) -> Stamp:
        """The common event fields."""
        return {
            "id": self.new_id(),
            "hlc": self.clock.now().encode(),
            "device": self.device_id,
            "actor": self.actor,
        }


def create_shipment(
    office: Actor, serial: int, depot_id: str, courier_id: str, cod: int, day: str
) -> Command:
    """Head office registers a shipment on a courier's route."""
    info = ShipmentInfo(
        merchant_id="merchant-1",
        tracking_number=make_tracking_number(serial),
        currency="EUR",
        cod_amount=cod,
        depot_id=depot_id,
        courier_id=courier_id,
        route_day=day,
        route_seq=serial,
        recipient_name=f"Recipient {serial}",
    )
    event = ShipmentCreated(**office.stamp())
    command = DocCommand.build("create", "shipment", [event], info=msgspec.to_builtins(info))
    return office.new_id(), command


def _book_command(
    actor: Actor, name: str, courier_id: str, depot_id: str, day: str, event: Event
) -> Command:
    info = CashBookInfo("courier", courier_id, day, "EUR", depot_id, courier_id)
    command = DocCommand.build(name, "cashbook", [event], info=msgspec.to_builtins(info))
    return courier_book_id(courier_id, day), command


def courier_deliver(
    courier: Actor,
    shipment_id: str,
    courier_id: str,
    depot_id: str,
    day: str,
    amount: int,
    reason: str = "",
) -> list[Command]:
    """Delivered with POD; with ``amount`` > 0 the COD is collected into the cash book
    (``reason``: why it is not the shipment's COD)."""
    events: list[Event] = [
        OutForDelivery(**courier.stamp(), payload=OutForDelivery.Body(courier_id)),
        Delivered(
            **courier.stamp(),
            payload=ProofOfDelivery("R. Cipient", PodRelation.SELF, device_time_ms=0),
        ),
    ]
    commands = []
    if amount > 0:
        pay = CodCollectedPayload(amount, "EUR", reason=reason)
        cod = CodCollected(**courier.stamp(), payload=pay)
        events.append(cod)
        entry = CashCollected(
            **courier.stamp(), payload=CollectedPayload(amount, "EUR", shipment_id, reason=reason)
        )
        commands.append(_book_command(courier, "collect", courier_id, depot_id, day, entry))
    return [(shipment_id, DocCommand.build("deliver", "shipment", events)), *commands]


def courier_fail(courier: Actor, shipment_id: str, reason: FailureReason) -> list[Command]:
    """A failed attempt with a reason code."""
    event = AttemptFailed(**courier.stamp(), payload=AttemptFailed.Body(reason))
    return [(shipment_id, DocCommand.build("fail", "shipment", [event]))]


def courier_handover(
    courier: Actor, courier_id: str, depot_id: str, day: str, amount: int, handover_id: str
) -> list[Command]:
    """The courier declares cash handed over at the depot desk."""
    event = CashHandedOver(
        **courier.stamp(), payload=HandoverPayload(amount, "EUR", handover_id, depot_id)
    )
    return [_book_command(courier, "handover", courier_id, depot_id, day, event)]


def depot_count(
    depot: Actor, courier_id: str, depot_id: str, day: str, amount: int, handover_id: str
) -> list[Command]:
    """The depot cash desk records what it counted for a handover."""
    event = CashCounted(**depot.stamp(), payload=CountPayload(amount, "EUR", handover_id, depot_id))
    return [_book_command(depot, "count", courier_id, depot_id, day, event)]


def depot_receive(depot: Actor, shipment_id: str, depot_id: str) -> list[Command]:
    """Inbound scan at the depot."""
    event = ReceivedAtDepot(**depot.stamp(), payload=ReceivedAtDepot.Body(depot_id))
    return [(shipment_id, DocCommand.build("receive", "shipment", [event]))]


def depot_reassign(shipment_id: str, courier_id: str) -> list[Command]:
    """Move a shipment to another courier's route (its scope moves with it)."""
    return [(shipment_id, DocCommand("assign", "shipment", info={"courier_id": courier_id}))]


def office_edit(shipment_id: str, phone: str) -> list[Command]:
    """Head office corrects the recipient's phone number."""
    return [(shipment_id, DocCommand("edit", "shipment", info={"recipient_phone": phone}))]


def forbidden_edit(shipment_id: str, cod: int) -> list[Command]:
    """A courier trying to change the COD amount: every upstream refuses it."""
    return [(shipment_id, DocCommand("tamper", "shipment", info={"cod_amount": cod}))]
