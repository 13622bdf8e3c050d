"""Stock states of a return's units per depot and SKU, and which movements are allowed.

Graded units wait to be moved where their disposition sends them
(``restock`` -> available, ``quarantine`` -> quarantined, ``dispose`` ->
disposed, ``back_to_merchant`` -> returned to the merchant). From there:

* quarantined -> available (released), disposed, or returned to the merchant;
* available -> quarantined, disposed, returned to the merchant, or dispatched
  (sold on: the units leave the states, the demand reorder suggestions read).

Every movement is an event of the return: ``restocked`` (graded -> available),
``dispatched`` (available -> out) and ``stock_moved`` (any other). Units sent
back to the merchant name who received them. The fold never lets a level go
below zero: a movement larger than its source moves what is there.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field

from .events import (
    Dispatched,
    Event,
    ItemInspection,
    Restocked,
    StockMoved,
    StockMovement,
    StockTransfer,
)
from .vocab import Disposition, StockSource, StockState

S = StockState
TARGET_OF: dict[Disposition, StockState] = {
    Disposition.RESTOCK: S.AVAILABLE,
    Disposition.QUARANTINE: S.QUARANTINED,
    Disposition.DISPOSE: S.DISPOSED,
    Disposition.BACK_TO_MERCHANT: S.RETURNED_TO_MERCHANT,
}
DISPOSITION_OF = {state: disposition for disposition, state in TARGET_OF.items()}
ONWARD: dict[StockSource, frozenset[StockState]] = {
    StockSource.QUARANTINED: frozenset({S.AVAILABLE, S.DISPOSED, S.RETURNED_TO_MERCHANT}),
    StockSource.AVAILABLE: frozenset({S.QUARANTINED, S.DISPOSED, S.RETURNED_TO_MERCHANT}),
}
Level = tuple[str, str, StockState]  # (depot_id, sku, state)


@dataclass(slots=True)
class StockBook:
    """Units per ``(depot, sku, state)`` and graded units still to move per ``(sku, target)``."""

    levels: dict[Level, int] = field(default_factory=dict)
    graded: dict[tuple[str, StockState], int] = field(default_factory=dict)

    @classmethod
    def of(cls, items: Iterable[ItemInspection]) -> StockBook:
        """The book right after grading ``items``: nothing moved yet."""
        book = cls()
        for item in items:
            key = (item.sku, TARGET_OF[item.disposition])
            book.graded[key] = book.graded.get(key, 0) + item.quantity
        return book

    def level(self, depot_id: str, sku: str, state: StockState) -> int:
        return self.levels.get((depot_id, sku, state), 0)

    def left(self, move: StockMovement, source: StockSource) -> int:
        """How many units ``move`` can take from ``source``."""
        if source == StockSource.GRADED:
            return self.graded.get((move.sku, _target(move)), 0)
        return self.level(move.depot_id, move.sku, StockState(source.value))

    def apply(self, event: Event) -> None:
        """Move the units of a stock event (at most what its source holds)."""
        move = movement_of(event)
        if move is None:
            return
        source = source_of(event)
        moved = min(move.quantity, self.left(move, source))
        if moved <= 0:
            return
        if source == StockSource.GRADED:
            key = (move.sku, _target(move))
            self.graded[key] -= moved
        else:
            self._add(move.depot_id, move.sku, StockState(source.value), -moved)
        if not isinstance(event, Dispatched):
            self._add(move.depot_id, move.sku, _target(move), moved)

    def _add(self, depot_id: str, sku: str, state: StockState, units: int) -> None:
        self.levels[(depot_id, sku, state)] = self.level(depot_id, sku, state) + units


def movement_of(event: Event) -> StockMovement | None:
    """The movement a stock event carries, ``None`` for other events."""
    if isinstance(event, Restocked | Dispatched | StockMoved):
        return event.payload
    return None


def source_of(event: Event) -> StockSource:
    """Where a stock event takes its units from."""
    if isinstance(event, StockMoved):
        return event.payload.source
    return StockSource.AVAILABLE if isinstance(event, Dispatched) else StockSource.GRADED


def _target(move: StockMovement) -> StockState:
    return move.target if isinstance(move, StockTransfer) else S.AVAILABLE


def movement_error(book: StockBook, event: Event) -> str | None:
    """Why the stock event cannot be applied to ``book`` (naming the field), else ``None``."""
    move = movement_of(event)
    if move is None:
        return None
    if move.quantity <= 0:
        return f"payload.quantity must be positive, got {move.quantity}"
    source, target = source_of(event), _target(move)
    if source != StockSource.GRADED and not isinstance(event, Dispatched):
        if target not in ONWARD[source]:
            return f"payload.target: units {source} cannot become {target}"
    if isinstance(move, StockTransfer) and target == S.RETURNED_TO_MERCHANT:
        if not move.received_by.strip():
            return "payload.received_by: say who at the merchant received the units"
    left = book.left(move, source)
    if move.quantity > left:
        if source == StockSource.GRADED:
            graded = DISPOSITION_OF[target].replace("_", " ")
            where = f"{left} unit(s) graded for {graded} are left"
        else:
            where = f"only {left} unit(s) {source} here"
        return f"payload.quantity: {move.sku}: {where}, cannot move {move.quantity}"
    return None


def fold_stock(items: Iterable[ItemInspection], ordered: Iterable[Event]) -> StockBook:
    """The stock book of a return graded as ``items``, after its ``ordered`` events."""
    book = StockBook.of(items)
    for event in ordered:
        book.apply(event)
    return book


def totals(levels: Mapping[Level, int]) -> dict[StockState, int]:
    """Units per state over ``levels`` (every state present, 0 when none)."""
    out = dict.fromkeys(StockState, 0)
    for (_, _, state), units in levels.items():
        out[state] += units
    return out
