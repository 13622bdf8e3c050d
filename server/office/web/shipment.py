"""``/office/shipments/{doc_id}``: one shipment for head office, and resolving its conflicts.

The page shows the shipment's info, its history in plain words, its COD
ledger line, the proof of delivery (:mod:`.proofs`) and the open conflicts
of the shipment and of its returns, each with a form that resolves it
through :meth:`OfficeActions.resolve` (the office API's action) as the
device logged in on the session. A return's id redirects to its shipment's
page, so every conflict link lands somewhere.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Annotated

import msgspec
from litestar import Controller, get, post
from litestar.enums import RequestEncodingType
from litestar.exceptions import NotFoundException, ValidationException
from litestar.params import Body
from litestar.response import Redirect, Template

from protocol.discrepancies import Discrepancy
from protocol.history import describe
from protocol.ledger import CodLine, Taken
from protocol.permissions import Device
from protocol.reconcile import OpenConflict, Reconciliation, ReturnLine
from protocol.vocab import ShipmentStatus

from ...core import Central
from ...merchant_api._rows import shipment_events
from ..actions import OfficeActions
from ..schemas import ResolveIn, ReversalIn
from ..service import OfficeService
from .formatting import money_text, time_text
from .named import named_view
from .pages import HTML_FORM, LOGIN_PAGE, nav_context
from .plain_words import event_sentence
from .proofs import ProofView, proof_views

PAGE = "/office/shipments/"


@dataclass(frozen=True, slots=True)
class ShipmentView:
    """What the shipment page shows, already as text where formatting is involved."""

    line: CodLine
    facts: list[tuple[str, str]]  # (label, text): info and status
    ledger: list[tuple[str, str]]  # (label, text): the COD ledger line
    # (when, event type, in words, details, actor, why)
    history: list[tuple[str, str, str, str, str, str]]
    returns: list[ReturnLine]
    conflicts: list[OpenConflict]
    proofs: list[ProofView]  # the proof of each delivery, with the files uploaded so far
    takings: list[Taken] = field(default_factory=list)  # collections a reversal may name
    discrepancies: list[Discrepancy] = field(default_factory=list)


class ResolveForm(msgspec.Struct):
    """The resolve form: which conflict, why, and optionally the status to set."""

    conflict_doc: Annotated[str, msgspec.Meta(max_length=100)] = ""
    conflict_id: Annotated[str, msgspec.Meta(max_length=100)] = ""
    note: Annotated[str, msgspec.Meta(max_length=2000)] = ""
    status: Annotated[str, msgspec.Meta(max_length=40)] = ""


def _facts(line: CodLine) -> list[tuple[str, str]]:
    info, state = line.info, line.state
    slot = f"{info.slot_start}-{info.slot_end}" if info.slot_start or info.slot_end else ""
    return [
        ("Tracking number", info.tracking_number),
        ("Merchant", info.merchant_id),
        ("Order", info.order_ref),
        ("Recipient", info.recipient_name),
        ("City", info.city),
        ("Depot", info.depot_id),
        ("Courier", info.courier_id),
        ("Route day", info.route_day),
        ("Slot", slot),
        ("Status", state.status.value),
        ("Failed attempts", str(state.attempts)),
        ("Delivered", time_text(state.delivered_at)),
    ]


def _ledger(line: CodLine) -> list[tuple[str, str]]:
    def money(amount: int) -> str:
        return money_text(amount, line.info.currency)

    return [
        ("Expected", money(line.expected)),
        ("Collected", money(line.collected)),
        ("Outstanding", money(line.outstanding)),
        ("Refused / returned", money(line.refused)),
        ("Reversed", money(line.reversed)),
        ("Method", line.method),
        ("Collected by", line.collected_by),
        ("Collected at", time_text(line.collected_at)),
        ("Handover", line.handover_id),
        ("Handed over at", line.handover_depot),
        ("Counted at", time_text(line.counted_at)),
        ("Deposited", "yes" if line.deposited else "no"),
        ("Remittance batch", line.remitted_batch),
        ("Frozen", "yes" if line.frozen else "no"),
    ]


async def shipment_view(
    central: Central, recon: Reconciliation, doc_id: str
) -> ShipmentView | None:
    """The page of shipment ``doc_id``, or None when there is no such shipment."""
    line = recon.lines.get(doc_id)
    if line is None:
        return None
    returns = [r for r in recon.returns if r.record.info.shipment_id == doc_id]
    docs = {doc_id, *(r.doc_id for r in returns)}
    history = []
    for event in await shipment_events(central.store, doc_id):
        what, why = describe(event.type, event.payload)
        plain = event_sentence(event.type, event.payload) or what.capitalize() + "."
        history.append((time_text(event.hlc), event.type, plain, what, event.actor, why))
    return ShipmentView(
        line,
        _facts(line),
        _ledger(line),
        history,
        returns,
        [c for c in recon.conflicts if c.doc_id in docs],
        await proof_views(central, doc_id),
        [t for t in (line.standing, *line.extras, *line.foreign) if t is not None],
        [d for d in recon.discrepancies if d.doc_id == doc_id],
    )


def _resolution(view: ShipmentView, form: ResolveForm) -> tuple[OpenConflict, ResolveIn]:
    """The open conflict the form names and the resolution it asks for; 4xx otherwise."""
    found = next(
        (
            c
            for c in view.conflicts
            if c.doc_id == form.conflict_doc and c.conflict.id == form.conflict_id
        ),
        None,
    )
    if found is None:
        raise NotFoundException(
            f"conflict_id: no open conflict {form.conflict_id!r} on this shipment "
            "or its returns (already resolved?)"
        )
    fields = {"note": form.note.strip(), "status": form.status or None}
    try:
        return found, msgspec.convert(fields, ResolveIn)
    except msgspec.ValidationError as exc:
        raise ValidationException(f"resolve form: {exc}") from None


class ReverseForm(msgspec.Struct):
    """The reversal form: which collection, how much (minor units), why, answering what."""

    entry_id: Annotated[str, msgspec.Meta(max_length=200)] = ""
    amount: Annotated[str, msgspec.Meta(max_length=40)] = ""
    reason: Annotated[str, msgspec.Meta(max_length=500)] = ""
    discrepancy: Annotated[str, msgspec.Meta(max_length=500)] = ""


def _reversal(form: ReverseForm) -> ReversalIn:
    fields = {
        "entry_id": form.entry_id,
        "amount": int(form.amount) if form.amount.strip().isdigit() else -1,
        "reason": form.reason.strip(),
        "discrepancy": form.discrepancy,
    }
    try:
        return msgspec.convert(fields, ReversalIn)
    except msgspec.ValidationError as exc:
        raise ValidationException(f"reversal form: {exc}") from None


class ShipmentPages(Controller):
    path = "/office/shipments"
    include_in_schema = False

    @get("/{doc_id:str}", opt=LOGIN_PAGE)
    async def shipment(
        self, doc_id: str, office_device: Device, office_service: OfficeService, central: Central
    ) -> Template | Redirect:
        """One shipment: info, history, COD ledger line, conflicts with resolve forms."""
        recon, _ = await office_service.reconciliation()
        view = await shipment_view(central, recon, doc_id)
        if view is None:
            origin = next((r for r in recon.returns if r.doc_id == doc_id), None)
            if origin is not None:
                return Redirect(PAGE + origin.record.info.shipment_id, status_code=303)
            raise NotFoundException(f"doc_id: no shipment {doc_id!r}")
        view = named_view(view, await office_service.names(recon))
        context = {"view": view, "statuses": [s.value for s in ShipmentStatus]}
        return Template("shipment.html", context=context | nav_context(office_service))

    @post("/{doc_id:str}/resolve", status_code=303, opt=HTML_FORM)
    async def resolve(
        self,
        doc_id: str,
        data: Annotated[ResolveForm, Body(media_type=RequestEncodingType.URL_ENCODED)],
        office_device: Device,
        office_service: OfficeService,
        office_actions: OfficeActions,
        central: Central,
    ) -> Redirect:
        """Resolve one of the page's conflicts, then show the page again."""
        recon, _ = await office_service.reconciliation()
        view = await shipment_view(central, recon, doc_id)
        if view is None:
            raise NotFoundException(f"doc_id: no shipment {doc_id!r}")
        conflict, resolution = _resolution(view, data)
        await office_actions.resolve(
            conflict.doc_id, conflict.conflict.id, resolution, office_device.id
        )
        return Redirect(PAGE + doc_id, status_code=303)

    @post("/{doc_id:str}/reverse", status_code=303, opt=HTML_FORM)
    async def reverse(
        self,
        doc_id: str,
        data: Annotated[ReverseForm, Body(media_type=RequestEncodingType.URL_ENCODED)],
        office_device: Device,
        office_actions: OfficeActions,
    ) -> Redirect:
        """Record a reversal of one of the page's collections, then show the page again."""
        await office_actions.reverse(_reversal(data), office_device.id)
        return Redirect(PAGE + doc_id, status_code=303)
