"""The part of a day's script ``parcelsync simulate --processes`` can replay over the wire.

Couriers, the depot desk, merchants (returns) and head office (remittances)
all have a real path through the processes. A sender's hold decision and the
depot's return to origin do not (central exposes no API for either), so a
plan is cut at its first such step; the couriers' handovers, the planted
discrepancies and the expected finals are derived from the cut plans.
"""

from __future__ import annotations

import msgspec

from fixtures import Dataset, Handover, ShipmentPlan, Step, StepKind

from .steps import COURIER_STEPS

WIRE_STEPS = COURIER_STEPS | {StepKind.CUSTOMER_RETURN, StepKind.INSPECT}


def cut(plan: ShipmentPlan) -> ShipmentPlan:
    """The plan up to (not including) its first step with no path over the wire."""
    kinds = [step.kind for step in plan.outcome]
    end = next((i for i, k in enumerate(kinds) if k not in WIRE_STEPS), len(kinds))
    return msgspec.structs.replace(plan, outcome=plan.outcome[:end])


def attempts(plan: ShipmentPlan) -> list[ShipmentPlan]:
    """The plan's doorstep steps split into delivery attempts (each ends at a failure)."""
    runs: list[list[Step]] = [[]]
    for step in plan.outcome:
        if step.kind not in COURIER_STEPS:
            break
        runs[-1].append(step)
        if step.kind == StepKind.FAIL:
            runs.append([])
    return [msgspec.structs.replace(plan, outcome=tuple(run)) for run in runs if run]


def replayable(data: Dataset) -> tuple[Dataset, set[str]]:
    """The day cut to what the wire can replay; and the ids of the shipments cut short."""
    plans = [cut(plan) for plan in data.plans]
    shortened = {p.shipment_id for p, full in zip(plans, data.plans, strict=True) if p != full}
    handovers = {h.courier_id: h for h in _handovers(data, plans)}
    kept = [
        d
        for d in data.discrepancies
        if d.shipment_id not in shortened
        if d.shipment_id or handovers[d.courier_id].injected  # a count mismatch still planted
    ]
    script = msgspec.structs.replace(
        data, plans=plans, handovers=list(handovers.values()), discrepancies=kept
    )
    return script, shortened


def _handovers(data: Dataset, plans: list[ShipmentPlan]) -> list[Handover]:
    """Each courier's handover of the cash the cut plans collect; a planted miscount kept."""
    cash = dict.fromkeys((h.courier_id for h in data.handovers), 0)
    for spec, plan in zip(data.shipments, plans, strict=True):
        for step in plan.outcome:
            if step.kind == StepKind.COLLECT and step.method == "cash":
                cash[spec.courier_id] += step.amount or 0
    result = []
    for h in data.handovers:
        declared = cash[h.courier_id]
        counted = max(0, declared + h.counted_minor - h.declared_minor) if declared else 0
        result.append(
            msgspec.structs.replace(
                h,
                collected_minor=declared,
                declared_minor=declared,
                counted_minor=counted,
                injected=counted != declared,
            )
        )
    return result
