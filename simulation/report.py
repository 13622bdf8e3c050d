"""The simulator's verdict: convergence, money identities, returns, lost updates.

Everything is read from the replicas' projection rows (never from what the
simulator believes it did), and compared with what the fixtures' script says
should have happened (:class:`Expected`).
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from typing import Any

from fixtures import Dataset, StepKind
from protocol.permissions import Device
from protocol.vocab import Disposition
from sync import ReplicaStore
from sync.scopes import device_scopes

from .digest import content_digest, projection_rows, scope_doc_ids, scope_rows, state_vectors
from .ledger import ledger_summary, reconciled
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


async def _scalar(store: ReplicaStore, sql: str) -> int:
    rows = await store.query(sql)
    return int(rows[0][0] or 0)


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
    at_central = {r[0] for r in await central.query("SELECT event_id FROM p_events")}
    everywhere = set(known)
    for replica in replicas:
        everywhere.update(r[0] for r in await replica.store.query("SELECT event_id FROM p_events"))
    return len(everywhere - at_central)


async def _cash(central: ReplicaStore) -> dict[str, int]:
    rows = await central.query(
        "SELECT owner_kind, sum(collected), sum(reversed), sum(handed_over), sum(counted), "
        "sum(deposited), sum(remitted), sum(in_hand) FROM p_cash_books GROUP BY owner_kind"
    )
    sums = {r[0]: [int(v or 0) for v in r[1:]] for r in rows}
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


async def _handover_mismatches(store: ReplicaStore) -> int:
    rows = await store.query(
        "SELECT reference, sum(CASE kind WHEN 'handed_over' THEN amount ELSE 0 END), "
        "sum(CASE kind WHEN 'counted_at_depot' THEN amount ELSE 0 END) FROM p_cash_entries "
        "WHERE kind IN ('handed_over', 'counted_at_depot') GROUP BY reference"
    )
    return sum(1 for _, declared, counted in rows if declared != counted)


async def report(world: World, expected: Expected) -> dict[str, Any]:
    """The summary object ``parcelsync simulate --json`` prints."""
    return await summarize(world.central, world_replicas(world), world.committed, expected)


async def summarize(
    central: ReplicaStore, replicas: list[Replica], known: set[str], expected: Expected
) -> dict[str, Any]:
    """The summary of central against its edge ``replicas`` (both simulate modes)."""
    bad = await divergent(central, replicas)
    cash = await _cash(central)
    conflicts = Counter(
        r[0] for r in await central.query("SELECT kind FROM p_conflicts WHERE resolved = 0")
    )
    detected = conflicts["cod_amount_mismatch"] + await _handover_mismatches(central)
    collected = await _scalar(central, "SELECT sum(cod_collected) FROM p_shipments")
    ledger = ledger_summary(await reconciled(central))
    remitted_identity, payable, owed = "remitted = deposited", cash["deposited"], cash["cash"]
    if expected.remits_statements:
        remitted_identity = "remitted = payable of the banked lines paid (statements)"
        payable = ledger["remitted_payable"]
        owed = collected - cash["reversed"]
    books_ok = await central.query(
        "SELECT count(*) FROM p_cash_books WHERE owner_kind = 'courier' "
        "AND collected - reversed != handed_over + in_hand"
    )
    finals = dict(await central.query("SELECT doc_id, status FROM p_shipments"))
    returned = Counter(
        r[0]
        for r in await central.query(
            "SELECT type FROM p_events WHERE doc_type = 'return' "
            "AND type IN ('requested', 'received', 'inspected')"
        )
    )
    restocked = await _scalar(central, "SELECT sum(quantity) FROM p_stock")
    lost = await lost_events(central, replicas, known)
    identities = {
        "every shipment ends as scripted": all(
            finals.get(k) == v for k, v in expected.finals.items()
        ),
        "per courier: collected = handed over + in hand": books_ok[0][0] == 0,
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
        "events": await _scalar(central, "SELECT count(*) FROM p_events"),
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
