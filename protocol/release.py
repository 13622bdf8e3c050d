"""A parcel returned to origin and handed back to its merchant frees its frozen COD.

What was collected for it and not reversed yet goes back to the recipient: a
reversal the journal posts as a ``release`` transfer from wherever the cash is
(courier, desk, bank or card) to ``recipient:<shipment>``, counted in the
line's ``reversed`` so the merchant's statement shows nothing frozen or payable.
"""

from __future__ import annotations

from collections.abc import Iterable

from .ledger import CodLine


def release_handed_back(lines: Iterable[CodLine]) -> None:
    """Release the frozen COD of every line handed back to its merchant (after the
    cash-book links, which count the reversals already made)."""
    for line in lines:
        if line.release_event_id and line.standing is not None:
            line.released = max(line.collected - line.reversed, 0)
            line.reversed += line.released
