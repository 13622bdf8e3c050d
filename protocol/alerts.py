"""Operational exceptions head office must act on, with configurable thresholds.

Kinds: ``late`` (not delivered and the promised slot has ended, in any slot
format of :mod:`protocol.slots`), ``stuck`` (in one non-final status longer
than allowed, ``created`` counted from its ``created`` event), ``device_silent`` (no sync
for longer than allowed), ``device_quarantine`` (items rejected and held on
a device), ``cash_over_limit``, ``handover_overdue`` (cash in hand from an
earlier day) and ``unresolved_conflict``. ``now_ms`` is passed in.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from .kpis import slot_end_ms
from .ledger import hlc_ms
from .reconcile import Reconciliation
from .vocab import TERMINAL_STATUSES

HOUR_MS = 3_600_000


@dataclass(frozen=True, slots=True)
class Thresholds:
    """How long before something becomes an exception (milliseconds)."""

    stuck_ms: int = 48 * HOUR_MS
    silent_ms: int = 4 * HOUR_MS
    late_grace_ms: int = 0


@dataclass(frozen=True, slots=True)
class DeviceSeen:
    """A device as the registry knows it, with its latest health report."""

    device_id: str
    role: str
    last_seen_ms: int | None
    quarantined: int = 0
    depot_id: str = ""
    courier_id: str = ""
    waiting: int | None = None  # outbox backlog as last reported (None: never reported)
    oldest_unsent_age_s: float | None = None


@dataclass(frozen=True, slots=True)
class Alert:
    kind: str
    subject: str  # a shipment, device, courier or document id
    detail: str
    since_ms: int  # when the condition started (0 if unknown)
    who: str


def _shipments(recon: Reconciliation, th: Thresholds, now_ms: int) -> Iterable[Alert]:
    for line in recon.lines.values():
        state = line.state
        if state.status in TERMINAL_STATUSES:
            continue
        courier = f"courier:{line.info.courier_id}" if line.info.courier_id else "depot"
        end = slot_end_ms(line)
        if end is not None and now_ms > end + th.late_grace_ms:
            yield Alert("late", line.doc_id, f"slot ended, still {state.status}", end, courier)
        since = hlc_ms(state.history[-1][0] if state.history else state.created_at or "")
        if since and now_ms - since > th.stuck_ms:
            yield Alert("stuck", line.doc_id, f"{state.status} since", since, "depot")


def _devices(devices: Iterable[DeviceSeen], th: Thresholds, now_ms: int) -> Iterable[Alert]:
    for device in devices:
        seen = device.last_seen_ms
        if device.role in ("courier", "depot") and (seen is None or now_ms - seen > th.silent_ms):
            detail = "never synced" if seen is None else "no sync since"
            yield Alert("device_silent", device.device_id, detail, seen or 0, device.role)
        if device.quarantined:
            detail = f"{device.quarantined} item(s) quarantined"
            yield Alert("device_quarantine", device.device_id, detail, 0, device.role)


def exceptions(
    recon: Reconciliation, devices: Iterable[DeviceSeen], thresholds: Thresholds, now_ms: int
) -> list[Alert]:
    """Every open exception, grouped by kind in a stable order."""
    found = list(_shipments(recon, thresholds, now_ms))
    found += _devices(devices, thresholds, now_ms)
    for c in recon.couriers:
        who = f"courier:{c.courier_id}"
        if c.over_limit:
            detail = f"in hand {c.in_hand} over limit {c.limit} {c.currency}"
            found.append(Alert("cash_over_limit", c.courier_id, detail, 0, who))
        if c.overdue:
            detail = f"{c.overdue} {c.currency} from earlier days not handed over"
            found.append(Alert("handover_overdue", c.courier_id, detail, 0, who))
    for oc in recon.conflicts:
        found.append(Alert("unresolved_conflict", oc.doc_id, oc.conflict.message, 0, "office"))
    return sorted(found, key=lambda a: (a.kind, a.subject))
