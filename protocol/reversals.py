"""What a reversing entry may name, and how much it may still reverse (pure)."""

from __future__ import annotations

from .reconcile import Reconciliation


def reversible(recon: Reconciliation, entry_id: str) -> tuple[str | None, int]:
    """``(currency, most)`` for a collection (its event), or a handover's count gap;
    ``(None, 0)`` when ``entry_id`` names neither."""
    for line in recon.lines.values():
        if line.standing is not None and line.standing.event_id == entry_id:
            return line.info.currency, line.collected - line.reversed
        for taken in (*line.extras, *line.foreign):
            if taken.event_id == entry_id:
                return taken.currency, max(taken.amount - line.refunded, 0)
    for h in recon.handovers:
        if h.handover_id == entry_id and h.counted is not None:
            return h.currency, abs(h.discrepancy)
    return None, 0
