"""Courier commands on the handheld: route, scan, out for delivery, deliver, fail.

Each command reads and folds the documents first, raises an
:class:`edge.errors.EdgeError` and writes nothing when a rule says no, and
otherwise writes its events in ONE local transaction. Cash commands live in
:mod:`edge.commands.cash`, reverse pickups in :mod:`edge.commands.pickups`.
"""

from __future__ import annotations

import asyncio
import hashlib
import hmac
from pathlib import Path

import msgspec

from protocol.events import AttemptFailed, Delivered, Event, OutForDelivery, ProofOfDelivery
from protocol.hlc import HybridClock
from protocol.lifecycle import fold_shipment
from protocol.pin import BadPinDigest, normal_pin, pin_matches
from protocol.vocab import FailureReason, PodRelation, Role, ShipmentStatus

from ..context import EdgeContext
from ..docs import ShipmentView, find_shipment
from ..errors import AlreadyRecorded, InvalidInput, InvalidTransition, OtpRejected
from ..read_store import route_rows
from ._common import Outcome, on_my_route, one_of, outcome, shipment_command, write_event

S = ShipmentStatus
_CAN_GO_OUT = frozenset({S.CREATED, S.AT_DEPOT, S.ATTEMPT_FAILED})
_CAN_FAIL = frozenset({S.CREATED, S.AT_DEPOT, S.ATTEMPT_FAILED, S.OUT_FOR_DELIVERY})


class RouteStop(msgspec.Struct, frozen=True):
    """One stop of the day's route, in the order the depot planned."""

    seq: int
    doc_id: str
    tracking_number: str
    recipient_name: str
    city: str
    status: str
    attempts: int
    cod_amount: int
    currency: str
    slot_start: str
    slot_end: str


class Attachment(msgspec.Struct, frozen=True):
    """A signature or photo: its content hash and where the file lives locally."""

    sha256: str
    path: str

    @classmethod
    def from_file(cls, path: str | Path) -> Attachment:
        """Hash a local file (``InvalidInput`` if it cannot be read)."""
        try:
            digest = hashlib.sha256(Path(path).read_bytes()).hexdigest()
        except OSError as exc:
            raise InvalidInput(f"cannot read {path}: {exc.strerror}") from None
        return cls(digest, str(path))


async def load_route(ctx: EdgeContext, day: str | None = None) -> list[RouteStop]:
    """The courier's shipments for ``day`` (default today) ordered by route sequence."""
    ctx.require(Role.COURIER)
    rows = await route_rows(ctx.store, ctx.identity.courier_id, day or ctx.today())
    return [RouteStop(*row) for row in rows]


async def find(ctx: EdgeContext, code: str) -> ShipmentView:
    """A shipment on this courier's route by tracking number, barcode or id."""
    ctx.require(Role.COURIER)
    view = await find_shipment(ctx.store, code)
    on_my_route(ctx, view)
    return view


def going_out(ctx: EdgeContext, view: ShipmentView, clock: HybridClock) -> list[Event]:
    """The ``out_for_delivery`` event a doorstep step needs first, if any."""
    status = view.state.status
    if status == S.OUT_FOR_DELIVERY:
        return []
    if status in _CAN_GO_OUT:
        body = OutForDelivery.Body(courier_id=ctx.identity.courier_id)
        return [OutForDelivery(**ctx.base(clock.now()), payload=body)]
    if status == S.DELIVERED:
        raise AlreadyRecorded(f"{view.info.tracking_number} was already delivered")
    raise InvalidTransition(f"{view.info.tracking_number} is {status}: it cannot go out")


async def out_for_delivery(ctx: EdgeContext, code: str) -> Outcome:
    """Mark a parcel out for delivery."""
    async with ctx.lock:
        view = await find(ctx, code)
        if view.state.status == S.OUT_FOR_DELIVERY:
            raise AlreadyRecorded(f"{view.info.tracking_number} is already out for delivery")
        clock = await ctx.clock(view.hlcs)
        events = going_out(ctx, view, clock)
        await ctx.commit(clock, [(view.doc_id, shipment_command("out_for_delivery", events))])
    return outcome(view, S.OUT_FOR_DELIVERY, events, "out for delivery")


def check_otp(view: ShipmentView, otp: str | None) -> bool:
    """True when an OTP was required and matches; refuses a missing or wrong one.

    One scrypt per try (see :mod:`protocol.pin`); a legacy document's unsalted
    SHA-256 is still checked."""
    info = view.info
    if not info.otp_required:
        return False
    if not otp or not otp.strip():
        raise OtpRejected(f"{info.tracking_number} needs the recipient's OTP/PIN: ask for it")
    if info.otp_digest:
        try:
            matches = pin_matches(otp, info.otp_digest)
        except BadPinDigest as exc:
            raise OtpRejected(f"{info.tracking_number}: {exc}; ask head office") from None
    else:
        given = hashlib.sha256(normal_pin(otp)).hexdigest()
        matches = hmac.compare_digest(given, info.otp_sha256.lower())
    if not matches:
        raise OtpRejected(f"wrong OTP/PIN for {info.tracking_number}: ask the recipient again")
    return True


async def deliver(
    ctx: EdgeContext,
    code: str,
    *,
    recipient_name: str,
    relation: PodRelation | str = PodRelation.SELF,
    signature: Attachment | None = None,
    photo: Attachment | None = None,
    lat: float | None = None,
    lon: float | None = None,
    otp: str | None = None,
) -> Outcome:
    """Record a delivery with its proof; COD must have been collected first."""
    if not recipient_name.strip():
        raise InvalidInput("recipient name is required for a proof of delivery")
    relation = one_of(PodRelation, relation, "relation")
    async with ctx.lock:
        view = await find(ctx, code)
        if view.state.status == S.DELIVERED:
            raise AlreadyRecorded(f"{view.info.tracking_number} was already delivered")
        cod = view.info.cod
        if cod is not None and not view.state.collections:
            raise InvalidTransition(
                f"{view.info.tracking_number} is cash on delivery: collect {cod.format()} first"
            )
        verified = await asyncio.to_thread(check_otp, view, otp)  # scrypt: off the loop
        clock = await ctx.clock(view.hlcs)
        events = going_out(ctx, view, clock)
        pod = ProofOfDelivery(
            recipient_name=recipient_name.strip(),
            relation=relation,
            device_time_ms=ctx.wall(),
            signature_sha256=signature.sha256 if signature else None,
            photo_sha256=photo.sha256 if photo else None,
            photo_ref=photo.path if photo else None,
            lat=lat,
            lon=lon,
            otp_verified=verified,
            otp=otp.strip() if verified and otp else "",
        )
        events.append(Delivered(**ctx.base(clock.now()), payload=pod))
        attached = [
            {"kind": kind, "sha256": item.sha256, "path": item.path}
            for kind, item in (("signature", signature), ("photo", photo))
            if item is not None
        ]
        command = shipment_command("deliver", events, attachments=attached)
        await ctx.commit(clock, [(view.doc_id, command)])
    return outcome(view, S.DELIVERED, events, f"delivered to {pod.recipient_name}")


async def fail(ctx: EdgeContext, code: str, reason: FailureReason | str, note: str = "") -> Outcome:
    """Record a failed attempt; the fold decides next attempt, hold or return."""
    reason = one_of(FailureReason, reason, "reason")
    async with ctx.lock:
        view = await find(ctx, code)
        if view.state.status not in _CAN_FAIL:
            raise InvalidTransition(
                f"{view.info.tracking_number} is {view.state.status}: no attempt to fail"
            )
        body = AttemptFailed.Body(reason=reason, note=note)
        events = await write_event(ctx, view, AttemptFailed, body, "fail")
    after = fold_shipment([*view.events, *events], view.info.cod)
    return outcome(
        view, after.status, events, f"attempt {after.attempts} failed ({reason}): {after.status}"
    )
