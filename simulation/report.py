"""The simulator's verdict: convergence, money identities, returns, lost updates.

Everything is read from the replicas' projection rows (never from what the
simulator believes it did), and compared with what the fixtures' script says
should have happened (:class:`Expected`).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from fixtures import Dataset, StepKind
from protocol.permissions import Device
from protocol.vocab import Disposition
from sync import ReplicaStore
from sync.scopes import device_scopes

from .digest import content_digest, projection_rows, scope_doc_ids, scope_rows, state_vectors
from .ledger import ledger_summary, reconciled
from .read_store import (
    cash_sums,
    cod_collected,
    event_count,
    event_ids,
    handover_mismatches,
    open_conflicts,
    return_steps,
    shipment_statuses,
    unbalanced_courier_books,
    units_restocked,
)
from .world import World


@dataclass(slots=True)
class Expected:
    """What the days' scripts say must be true at the end."""

    finals: dict[str, str] = field(default_factory=dict)  # shipment id -> final status
    cod_expected: int = 0  # COD amounts of the shipments whose COD is collected
    collected: int = 0  # what couriers were scripted to take (all methods)
    cash: int = 0  # ... in cash
    declared: int = 0  # handed over at the desks
    counted: int = 0  # counted at the desks
    injected: int = 0
    returns: int = 0
    restock_units: int = 0
    # head office pays merchants their statements through its API (--processes), not each
    # depot deposit: the COD collected on lines not frozen by an open conflict (no fees set)
    remits_statements: bool = False

    def add(self, data: Dataset) -> None:
        """Add one day's script."""
        for spec, plan in zip(data.shipments, data.plans, strict=True):
            self.finals[spec.id] = plan.final
            for step in plan.outcome:
                if step.kind == StepKind.COLLECT:
                    self.cod_expected += spec.cod_amount or 0
                    self.collected += step.amount or 0
                    self.cash += (step.amount or 0) if step.method == "cash" else 0
                elif step.kind == StepKind.CUSTOMER_RETURN:
                    self.returns += 1
                elif step.kind == StepKind.INSPECT:
                    self.restock_units += sum(
                        g.quantity for g in step.grades if g.disposition == Disposition.RESTOCK
                    )
        self.declared += sum(h.declared_minor for h in data.handovers)
        self.counted += sum(h.counted_minor for h in data.handovers)
        self.injected += len(data.discrepancies)


@dataclass(frozen=True, slots=True)
class Replica:
    """An edge replica to check against central: its name, device and store."""

    name: str
    device: Device
    store: ReplicaStore


def world_replicas(world: World) -> list[Replica]:
    """The edges of an in-process world."""
    return [
        Replica(name, node.device, node.store)
        for name, node in world.net.nodes.items()
        if name != "central"
    ]


async def divergent(central: ReplicaStore, replicas: list[Replica]) -> list[str]:
    """Edges whose documents, state vectors or projection rows differ from central's."""
    truth = await state_vectors(central)
    bad = []
    for replica in replicas:
        scopes = device_scopes(replica.device)
        wanted = await scope_doc_ids(central, scopes)
        held = await state_vectors(replica.store)
        same = set(held) == wanted and all(held[d] == truth[d] for d in held)
        if not same or await projection_rows(replica.store) != await scope_rows(central, scopes):
            bad.append(replica.name)
    return bad


async def lost_events(central: ReplicaStore, replicas: list[Replica], known: set[str]) -> int:
    """Events committed on any edge (or ``known`` to the simulator) missing at central."""
    at_central = await event_ids(central)
    everywhere = set(known)
    for replica in replicas:
        everywhere.update(await event_ids(replica.store))
    return len(everywhere - at_central)


async def _cash(central: ReplicaStore) -> dict[str, int]:
    sums = await cash_sums(central)
    courier = sums.get("courier", [0] * 7)
    depot = sums.get("depot", [0] * 7)
    office = sums.get("office", [0] * 7)  # remittances booked by central's office API
    return dict(
        zip(
            ("cash", "reversed", "handed_over", "counted", "in_hand"),
            (*courier[:4], courier[6]),
            strict=True,
        )
    ) | {"deposited": depot[4], "remitted": depot[5] + office[5]}


async def report(world: World, expected: Expected) -> dict[str, Any]:
    """The summary object ``parcelsync simulate --json`` prints."""
    return await summarize(world.central, world_replicas(world), world.committed, expected)


async def summarize(
    central: ReplicaStore, replicas: list[Replica], known: set[str], expected: Expected
) -> dict[str, Any]:
    """The summary of central against its edge ``replicas`` (both simulate modes)."""
    bad = await divergent(central, replicas)
    cash = await _cash(central)
    conflicts = await open_conflicts(central)
    detected = conflicts["cod_amount_mismatch"] + await handover_mismatches(central)
    collected = await cod_collected(central)
    ledger = ledger_summary(await reconciled(central))
    remitted_identity, payable, owed = "remitted = deposited", cash["deposited"], cash["cash"]
    if expected.remits_statements:
        remitted_identity = "remitted = payable of the banked lines paid (statements)"
        payable = ledger["remitted_payable"]
        owed = collected - cash["reversed"]
    unbalanced = await unbalanced_courier_books(central)
    finals = await shipment_statuses(central)
    returned = await return_steps(central)
    restocked = await units_restocked(central)
    lost = await lost_events(central, replicas, known)
    identities = {
        "every shipment ends as scripted": all(
            finals.get(k) == v for k, v in expected.finals.items()
        ),
        "per courier: collected = handed over + in hand": unbalanced == 0,
        "cash collected = cash scripted": cash["cash"] == expected.cash,
        "COD collected = scripted (short collections kept)": collected == expected.collected,
        "handed over = declared": cash["handed_over"] == expected.declared,
        "counted at desks = scripted counts": cash["counted"] == expected.counted,
        "deposited = counted": cash["deposited"] == cash["counted"],
        remitted_identity: cash["remitted"] == payable,
        "no cash left in hand": cash["in_hand"] == 0,
        "detected discrepancies = injected": detected == expected.injected,
        "returns graded = scripted": returned["inspected"] == expected.returns,
        "units restocked = scripted": restocked == expected.restock_units,
        "no lost updates": lost == 0,
        "ledger: balances sum to zero per currency": ledger["balanced"],
        "ledger: remitted only what reached the bank": ledger["remitted_only_banked"],
    }
    return {
        "converged": not bad,
        "divergent": bad,
        "replicas": 1 + len(replicas),
        "documents": await central.document_count(),
        "updates": await central.log_rows_up_to(await central.head()),
        "events": await event_count(central),
        "state_digest": await content_digest(central),
        "cod": {
            "expected": expected.cod_expected,
            "collected": collected,
            "collected_cash": cash["cash"],
            "handed_over": cash["handed_over"],
            "in_hand": cash["in_hand"],
            "counted": cash["counted"],
            "deposited": cash["deposited"],
            "remitted": cash["remitted"],
            "outstanding": owed - cash["remitted"],
            "discrepancies_detected": detected,
            "discrepancies_injected": expected.injected,
        },
        "returns": {
            "requested": returned["requested"],
            "received": returned["received"],
            "graded": returned["inspected"],
            "restocked": restocked,
        },
        "conflicts": sum(conflicts.values()),
        "conflicts_by_kind": dict(conflicts),
        "lost_updates": lost,
        "ledger": ledger,
        "identities": identities,
        "ok": not bad and all(identities.values()),
    }
