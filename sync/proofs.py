"""The proofs a replica holds: what each delivery event says about its files, and the
like of a return's reverse pickup (``picked_up``) and units sent back to the merchant
(``stock_moved``, signed by who received them).

Read from the ``p_events`` projection, so central and a depot edge (which
checks its handhelds' uploads before forwarding them) answer alike.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import msgspec

from protocol.permissions import Device
from protocol.vocab import Role

from .ports import Projections


@dataclass(frozen=True, slots=True)
class DeliveryProof:
    """What a delivery event says about its proof, as the office page shows it."""

    event_id: str
    hlc: str
    device: str
    actor: str
    recipient_name: str
    relation: str
    device_time_ms: int
    signature_sha256: str
    photo_sha256: str
    lat: float | None
    lon: float | None

    def names(self, sha256: str) -> bool:
        """True when this delivery refers to the file ``sha256``."""
        return bool(sha256) and sha256 in (self.signature_sha256, self.photo_sha256)


PROOF_EVENTS = ("delivered", "picked_up", "stock_moved")


async def delivery_proofs(store: Projections, doc_id: str) -> list[DeliveryProof]:
    """The events of a document that carry a proof (a shipment's deliveries, a return's
    pickup and sending back) with their proof fields, in fold order."""
    rows = await store.events_of(doc_id, *PROOF_EVENTS)
    proofs = []
    for event_id, hlc, device, actor, raw in rows:
        pod: dict[str, Any] = msgspec.json.decode(raw or "{}")
        proofs.append(
            DeliveryProof(
                event_id,
                hlc,
                device or "",
                actor or "",
                str(
                    pod.get("recipient_name")
                    or pod.get("handed_by")
                    or pod.get("received_by")
                    or ""
                ),
                str(pod.get("relation") or ""),
                int(pod.get("device_time_ms") or 0),
                str(pod.get("signature_sha256") or ""),
                str(pod.get("photo_sha256") or ""),
                pod.get("lat"),
                pod.get("lon"),
            )
        )
    return proofs


async def upload_allowed(store: Projections, device: Device, doc_id: str, sha256: str) -> bool:
    """May ``device`` upload the file ``sha256`` of shipment ``doc_id`` to this replica?

    A handheld: one of its own deliveries (or pickups) of that document names the
    file. A depot (forwarding its handhelds' files, or its own of a return sent
    back): the document is its depot's and a proof of it names the file.
    """
    proofs = await delivery_proofs(store, doc_id)
    if device.role == Role.COURIER:
        return any(p.device == device.id and p.names(sha256) for p in proofs)
    if device.role == Role.DEPOT:
        depot = await store.document_depot(doc_id)
        mine = depot is not None and depot == device.depot_id
        return mine and any(p.names(sha256) for p in proofs)
    return False
