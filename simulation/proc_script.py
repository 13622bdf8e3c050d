"""How ``parcelsync simulate --processes`` reads a shipment's script.

Every step has a path over the wire: the courier's doorstep steps on the
handheld, the sender's hold decision on the merchant's replica, the return
to origin, the customer return's receipt and grading at the depot, the RMA
itself at central. These helpers split a plan into who does what, and when.
"""

from __future__ import annotations

from typing import Literal

import msgspec

from fixtures import ShipmentPlan, Step, StepKind

from .steps import COURIER_STEPS

Answer = Literal["reattempt", "return"]  # the sender's decision on a shipment on hold


def attempts(plan: ShipmentPlan) -> list[ShipmentPlan]:
    """The plan's doorstep steps split into delivery attempts (each but the last ends failed)."""
    runs: list[list[Step]] = [[]]
    for step in plan.outcome:
        if step.kind not in COURIER_STEPS:
            continue  # a hold decision or the depot's part: not the courier's
        runs[-1].append(step)
        if step.kind == StepKind.FAIL:
            runs.append([])
    return [msgspec.structs.replace(plan, outcome=tuple(run)) for run in runs if run]


def decision(plan: ShipmentPlan) -> Answer | None:
    """The sender's answer to the hold, if the plan has one."""
    return next((s.decision for s in plan.outcome if s.kind == StepKind.HOLD_DECISION), None)


def returns_to_origin(plan: ShipmentPlan) -> bool:
    """True when the depot sends the parcel back to the sender."""
    return any(s.kind == StepKind.RETURN_TO_ORIGIN for s in plan.outcome)
