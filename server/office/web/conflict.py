"""``/office/conflicts/{doc_id}/{conflict_id}``: one conflict's competing facts side by side.

Each event of the conflict gets a column: what it says (for a proof of
delivery: receiver, relation, signature and photo once uploaded, place;
for a collection: amount and method), who recorded it on which device, its
HLC and when central received it, and what keeping it would do, computed
by the same pure folds as everything else: the reconciliation of the
shipment with that resolution added (status, what the merchant is owed,
what goes to suspense) and the ledger entries it writes or takes back. The
form resolves the conflict keeping the chosen event, through
:meth:`OfficeActions.resolve`, as the device signed in on the session.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass
from typing import Annotated

import msgspec
from litestar import Controller, get, post
from litestar.enums import RequestEncodingType
from litestar.exceptions import NotFoundException, ValidationException
from litestar.params import Body
from litestar.response import Redirect, Template

from protocol.events import CodCollected, ConflictResolved, Delivered, Event
from protocol.journal import Transfer
from protocol.ledger import ShipmentRecord, hlc_ms
from protocol.permissions import Device
from protocol.reconcile import OpenConflict, Reconciliation
from protocol.vocab import ConflictKind, ShipmentStatus

from ...core import Central
from ..actions import OfficeActions
from ..schemas import ResolveIn
from ..service import OfficeService
from ..words import plain, who_text
from .formatting import money_text, time_text
from .pages import HTML_FORM, LOGIN_PAGE, nav_context
from .plain_words import RELATION_WORDS
from .proofs import ProofView, proof_views

Names = dict[str, dict[str, str]]
# keeping this event of a conflict of this kind sets this status (others: the fold's)
IMPLIED_STATUS = {
    (ConflictKind.DELIVERED_AND_LOST, "marked_lost"): ShipmentStatus.LOST,
    (ConflictKind.DELIVERED_AND_LOST, "delivered"): ShipmentStatus.DELIVERED,
}
EVENT_WORDS = {
    "delivered": "Proof of delivery",
    "cod_collected": "COD collection",
    "marked_lost": "Marked lost",
}


@dataclass(frozen=True, slots=True)
class Side:
    """One competing fact and what keeping it does."""

    event_id: str
    title: str
    facts: list[tuple[str, str]]
    proof: ProofView | None
    outcome: list[tuple[str, str]]  # status and money if this one is kept
    writes: list[str]  # ledger entries the resolution adds, in words
    undoes: list[str]  # ledger entries it takes back


@dataclass(frozen=True, slots=True)
class ConflictView:
    conflict: OpenConflict
    kind: str
    tracking: str
    status: str
    sides: list[Side]


class ConflictForm(msgspec.Struct):
    """Which event stands, why, and optionally a status to set instead of the implied one."""

    keep: Annotated[str, msgspec.Meta(max_length=200)] = ""
    note: Annotated[str, msgspec.Meta(max_length=2000)] = ""
    status: Annotated[str, msgspec.Meta(max_length=40)] = ""


def resolution(
    conflict: OpenConflict, record: ShipmentRecord | None, form: ConflictForm
) -> ResolveIn:
    """The resolution the form asks for; 400 naming the field otherwise."""
    if form.keep and form.keep not in conflict.conflict.event_ids:
        raise ValidationException("keep: not one of the conflict's events")
    status: str | None = form.status or None
    if status is None and form.keep and record is not None:
        kept = next((e for e in record.events if e.id == form.keep), None)
        implied = IMPLIED_STATUS.get((conflict.conflict.kind, event_type(kept) if kept else ""))
        status = implied.value if implied else None
    fields = {"note": form.note.strip(), "status": status, "keep": form.keep}
    try:
        return msgspec.convert(fields, ResolveIn)
    except msgspec.ValidationError as exc:
        raise ValidationException(f"resolve form: {exc}") from None


def event_type(event: Event) -> str:
    """An event's ``type`` tag (``delivered``, ``cod_collected``...)."""
    return str(event.__struct_config__.tag)


def _entry(t: Transfer, names: Names) -> str:
    return (
        f"{money_text(t.amount, t.currency)} from {who_text(t.debit, names)} "
        f"to {who_text(t.credit, names)} ({plain('entry', t.kind)})"
    )


def _mine(recon: Reconciliation, doc_id: str, events: set[str]) -> Counter[tuple[object, ...]]:
    """The shipment's ledger entries, by what they move (their ids differ between runs)."""
    return Counter(
        (t.debit, t.credit, t.amount, t.currency, t.kind, t.event_id)
        for t in recon.journal.transfers
        if doc_id in (t.debit + t.credit) or t.event_id in events
    )


def _transfer(key: tuple[object, ...]) -> Transfer:
    debit, credit, amount, currency, kind, event_id = key
    return Transfer(
        "", str(debit), str(credit), int(str(amount)), str(currency), str(kind), str(event_id)
    )


def _facts(event: Event, names: Names, received: int | None) -> list[tuple[str, str]]:
    facts: list[tuple[str, str]] = []
    if isinstance(event, Delivered):
        p = event.payload
        facts += [
            ("Receiver", p.recipient_name or "not recorded"),
            ("Relation", RELATION_WORDS.get(str(p.relation), str(p.relation))),
            ("Device time", time_text(p.device_time_ms)),
        ]
    if isinstance(event, CodCollected):
        p2 = event.payload
        facts += [
            ("Amount", money_text(p2.amount, p2.currency)),
            ("Method", plain("method", str(p2.method))),
        ]
    facts += [
        ("Recorded by", who_text(f"courier:{event.actor}", names)),
        ("Device", names.get("device", {}).get(event.device, event.device)),
        ("Clock (HLC)", event.hlc),
        ("Clock time", time_text(event.hlc)),
        ("Received by central", time_text(received) if received else "not recorded"),
    ]
    return facts


async def conflict_view(
    office: OfficeService, central: Central, doc_id: str, conflict_id: str
) -> tuple[ConflictView, ShipmentRecord | None]:
    """The page of one open conflict; 404 when it is unknown or resolved."""
    recon, _ = await office.reconciliation()
    found = next(
        (c for c in recon.conflicts if c.doc_id == doc_id and c.conflict.id == conflict_id), None
    )
    if found is None:
        raise NotFoundException(
            f"conflict_id: no open conflict {conflict_id!r} on {doc_id!r} (resolved already?)"
        )
    names = await office.names(recon)
    record = await office.shipment_record(doc_id) if found.doc_type == "shipment" else None
    line = recon.lines.get(doc_id)
    sides = []
    if record is not None:
        sides = await _sides(office, central, found, record, names)
    view = ConflictView(
        found,
        plain("kind", found.conflict.kind.value),
        line.info.tracking_number if line else "",
        plain("status", line.state.status.value) if line else "",
        sides,
    )
    return view, record


async def _sides(
    office: OfficeService,
    central: Central,
    found: OpenConflict,
    record: ShipmentRecord,
    names: Names,
) -> list[Side]:
    by_id = {e.id: e for e in record.events}
    proofs = {p.event_id: p for p in await proof_views(central, record.doc_id)}
    received = await central.store.receipts(record.doc_id)
    events = set(by_id)
    before = _mine(await office.what_if(record), record.doc_id, events)
    last = max((hlc_ms(e.hlc) for e in record.events), default=0)
    sides = []
    for event_id in found.conflict.event_ids:
        event = by_id.get(event_id)
        if event is None:
            continue
        status = IMPLIED_STATUS.get((found.conflict.kind, event_type(event)))
        body = ConflictResolved.Body(conflict_id=found.conflict.id, status=status, keep=event_id)
        kept = ConflictResolved(
            id="preview", hlc=f"{last + 1:013d}.000000.preview", device="", actor="", payload=body
        )
        after_recon = await office.what_if(
            ShipmentRecord(record.doc_id, record.info, (*record.events, kept))
        )
        after = _mine(after_recon, record.doc_id, events | {"preview"})
        line = after_recon.lines[record.doc_id]
        currency = line.info.currency
        owed = money_text(line.collected - line.reversed, currency)
        if not line.collected:
            owed = "nothing: no COD collected"
        elif line.frozen:
            owed = f"{owed}, held back while the shipment is in dispute or returning"
        else:
            owed = f"{owed}, less the fee, once banked"
        outcome = [
            ("Status", plain("status", line.state.status.value)),
            ("Collection that stands", money_text(line.collected, currency)),
            ("Owed to the merchant", owed),
            ("To suspense (to refund)", money_text(line.extra, currency)),
        ]
        sides.append(
            Side(
                event_id,
                EVENT_WORDS.get(event_type(event), plain("kind", event_type(event))),
                _facts(event, names, received.get(event_id)),
                proofs.get(event_id),
                outcome,
                [_entry(_transfer(k), names) for k in (after - before).elements()],
                [_entry(_transfer(k), names) for k in (before - after).elements()],
            )
        )
    return sides


class ConflictPages(Controller):
    path = "/office/conflicts"
    include_in_schema = False

    @get("/{doc_id:str}/{conflict_id:str}", opt=LOGIN_PAGE)
    async def conflict(
        self,
        doc_id: str,
        conflict_id: str,
        office_device: Device,
        office_service: OfficeService,
        central: Central,
    ) -> Template:
        """The competing facts side by side, with the form that decides."""
        view, _ = await conflict_view(office_service, central, doc_id, conflict_id)
        context = {"view": view, "statuses": [s.value for s in ShipmentStatus]}
        return Template("conflict.html", context=context | nav_context(office_service))

    @post("/{doc_id:str}/{conflict_id:str}/resolve", status_code=303, opt=HTML_FORM)
    async def resolve(
        self,
        doc_id: str,
        conflict_id: str,
        data: Annotated[ConflictForm, Body(media_type=RequestEncodingType.URL_ENCODED)],
        office_device: Device,
        office_service: OfficeService,
        office_actions: OfficeActions,
        central: Central,
    ) -> Redirect:
        """Resolve keeping the chosen event, then show the exception list."""
        view, record = await conflict_view(office_service, central, doc_id, conflict_id)
        chosen = resolution(view.conflict, record, data)
        await office_actions.resolve(doc_id, conflict_id, chosen, office_device.id)
        return Redirect("/office/tables/exceptions", status_code=303)
