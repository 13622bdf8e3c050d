"""The shipment page's texts with parties by name (the page module builds them with ids)."""

from __future__ import annotations

import dataclasses
from typing import TYPE_CHECKING

from ..words import flat_names, name_ids

if TYPE_CHECKING:
    from .shipment import ShipmentView


def named_view(view: ShipmentView, names: dict[str, dict[str, str]]) -> ShipmentView:
    """``view`` with every courier, depot, merchant and device id in its facts, ledger,
    history and proofs replaced by its name."""
    flat = flat_names(names)

    def pairs(items: list[tuple[str, str]]) -> list[tuple[str, str]]:
        return [(label, name_ids(text, flat)) for label, text in items]

    return dataclasses.replace(
        view,
        facts=pairs(view.facts),
        ledger=pairs(view.ledger),
        history=[
            (w, kind, name_ids(text, flat), name_ids(what, flat), name_ids(actor, flat), why)
            for w, kind, text, what, actor, why in view.history
        ],
        proofs=[
            dataclasses.replace(p, device=name_ids(p.device, flat), actor=name_ids(p.actor, flat))
            for p in view.proofs
        ],
    )
