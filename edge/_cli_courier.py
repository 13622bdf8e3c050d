"""``parcelsync edge`` courier commands (handheld): each calls one Python function."""

from __future__ import annotations

import click

from protocol.delivery import instructions

from . import commands as c
from ._cli_support import (
    amount_minor,
    command,
    db_option,
    guarded,
    json_option,
    outcome_text,
)
from .commands._common import money


@click.command()
@db_option
@click.option("--day", default=None, help="Route day YYYY-MM-DD (default today).")
@json_option
def route(db: str, day: str | None, as_json: bool) -> None:
    """List today's stops in the order the depot planned."""

    def text(stops: list[c.RouteStop]) -> str:
        lines = [
            f"{s.seq:>3}  {s.tracking_number}  {s.status:<20} {s.recipient_name}, {s.city}"
            + (f"  COD {money(s.cod_amount, s.currency)}" if s.cod_amount else "")
            for s in stops
        ]
        return "\n".join(lines) or "no stops on this route"

    command(db, None, as_json, lambda ctx: c.load_route(ctx, day), text)


@click.command()
@db_option
@click.argument("code")
@json_option
def find(db: str, code: str, as_json: bool) -> None:
    """Find a parcel by tracking number, barcode or id."""

    async def call(ctx):  # type: ignore[no-untyped-def]
        view = await c.find(ctx, code)
        return {
            "doc_id": view.doc_id,
            "tracking_number": view.info.tracking_number,
            "status": view.state.status,
            "attempts": view.state.attempts,
            "recipient": view.info.recipient_name,
            "address": f"{view.info.address} {view.info.postcode} {view.info.city}".strip(),
            "cod": view.info.cod.format() if view.info.cod else "prepaid",
            "otp_required": view.info.otp_required,
            "instructions": instructions(view.events),  # the recipient's, from tracking
        }

    command(db, None, as_json, call, lambda r: "\n".join(f"{k}: {v}" for k, v in r.items()))


@click.command("out")
@db_option
@click.argument("code")
@json_option
def out_for_delivery(db: str, code: str, as_json: bool) -> None:
    """Mark a parcel out for delivery."""
    command(db, None, as_json, lambda ctx: c.out_for_delivery(ctx, code), outcome_text)


@click.command()
@db_option
@click.argument("code")
@click.option("--name", "recipient", required=True, help="Who received the parcel.")
@click.option("--relation", default="self", help="self, neighbour or safe_place.")
@click.option("--signature", type=click.Path(exists=True), help="Signature image file.")
@click.option("--photo", type=click.Path(exists=True), help="Photo of the parcel at the door.")
@click.option("--lat", type=float)
@click.option("--lon", type=float)
@click.option("--otp", help="The recipient's OTP/PIN when the parcel needs one.")
@json_option
@guarded
def deliver(db, code, recipient, relation, signature, photo, lat, lon, otp, as_json) -> None:  # type: ignore[no-untyped-def]
    """Record a delivery with proof (COD must be collected first)."""
    sig = c.Attachment.from_file(signature) if signature else None
    pic = c.Attachment.from_file(photo) if photo else None

    async def call(ctx):  # type: ignore[no-untyped-def]
        return await c.deliver(
            ctx,
            code,
            recipient_name=recipient,
            relation=relation,
            signature=sig,
            photo=pic,
            lat=lat,
            lon=lon,
            otp=otp,
        )

    command(db, None, as_json, call, outcome_text)


@click.command("fail")
@db_option
@click.argument("code")
@click.option("--reason", required=True, help="Reason code, e.g. not_home, refused, damaged.")
@click.option("--note", default="")
@json_option
def fail_attempt(db: str, code: str, reason: str, note: str, as_json: bool) -> None:
    """Record a failed delivery attempt; prints what happens next."""
    command(db, None, as_json, lambda ctx: c.fail(ctx, code, reason, note), outcome_text)


@click.command()
@db_option
@click.argument("code")
@click.argument("amount")
@click.option("--method", default="cash", help="cash or card.")
@click.option("--reason", default="", help="Required when the amount differs from the COD.")
@json_option
def collect(db: str, code: str, amount: str, method: str, reason: str, as_json: bool) -> None:
    """Collect the COD AMOUNT (like 12.50) of a parcel."""

    async def call(ctx):  # type: ignore[no-untyped-def]
        minor = amount_minor(amount, ctx.identity.currency)
        return await c.collect(ctx, code, minor, method=method, reason=reason)

    command(db, None, as_json, call, outcome_text)


@click.command()
@db_option
@json_option
def cash(db: str, as_json: bool) -> None:
    """Show cash in hand and the limit."""

    def text(p: c.CashPosition) -> str:
        limit = money(p.limit, p.currency) if p.limit is not None else "none"
        others = "".join(f", {money(a, c)}" for c, a in sorted(p.other_currencies.items()))
        return f"cash in hand {money(p.in_hand, p.currency)}{others} (limit {limit})"

    command(db, None, as_json, c.cash_position, text)


@click.command()
@db_option
@json_option
def handover(db: str, as_json: bool) -> None:
    """Hand over all cash in hand at the depot cash desk."""

    def text(done: list[c.Handover]) -> str:
        return "\n".join(
            f"handover {h.handover_id}: {money(h.amount, h.currency)} ({h.day})" for h in done
        )

    command(db, None, as_json, c.handover, text)


COURIER_COMMANDS = [
    route,
    find,
    out_for_delivery,
    deliver,
    fail_attempt,
    collect,
    cash,
    handover,
]
