"""Follow-up messages (JSON; their JSON Schema feeds the OpenAPI document).

Slot bounds take the formats of :data:`protocol.slots.SLOT_PATTERN`; a day is
``YYYY-MM-DD``.
"""

from __future__ import annotations

from typing import Annotated, Literal

import msgspec

from protocol.events import MAX_ATTEMPTS_LIMIT
from protocol.slots import DAY_PATTERN

from ..merchant_api.schemas import Slot, Text

Day = Annotated[str, msgspec.Meta(max_length=10, pattern=DAY_PATTERN)]


class CorrectionIn(msgspec.Struct, forbid_unknown_fields=True):
    """A new address or slot: empty fields keep the current ones; ``reason`` is kept."""

    address: Text = ""
    postcode: Text = ""
    city: Text = ""
    slot_start: Slot = ""
    slot_end: Slot = ""
    reason: Text = ""


class DecisionIn(CorrectionIn, forbid_unknown_fields=True):
    """The sender's answer to a hold: ``reattempt`` (on ``route_day``, to the address,
    in the slot given) or ``return`` to origin."""

    decision: Literal["reattempt", "return"] = "reattempt"
    route_day: Day = ""


class LostIn(msgspec.Struct, forbid_unknown_fields=True):
    liable: Annotated[str, msgspec.Meta(min_length=1, max_length=200)]
    note: Text = ""


class FoundIn(msgspec.Struct, forbid_unknown_fields=True):
    depot_id: Text = ""
    note: Text = ""


class AttemptsIn(msgspec.Struct, forbid_unknown_fields=True):
    """Failed attempts before a merchant's new shipments return to origin."""

    max_attempts: Annotated[int, msgspec.Meta(ge=1, le=MAX_ATTEMPTS_LIMIT)]


class AttemptsOut(msgspec.Struct):
    merchant_id: str
    max_attempts: int


class FollowUpOut(msgspec.Struct):
    """What was written: the event, the shipment's status after it."""

    shipment_id: str
    event_id: str
    type: str
    status: str


class HistoryOut(msgspec.Struct):
    """One entry of a shipment's history: who, when (``at_ms``, writer's clock), what, why."""

    event_id: str
    type: str
    hlc: str
    at_ms: int
    who: str
    what: str
    why: str
