"""``parcelsync edge`` reverse pickups and stock states: the depot routes a return and
moves its units between states; the courier lists and picks up its returns."""

from __future__ import annotations

import click

from . import commands as c
from ._cli_support import actor_option, command, db_option, guarded, json_option, outcome_text
from .commands.stock import OUT


@click.command("assign-return")
@db_option
@click.argument("return_id")
@click.option("--courier", required=True, help="Courier id of the route.")
@click.option("--day", required=True, help="Route day YYYY-MM-DD.")
@click.option("--seq", type=int, required=True, help="Stop number on the route.")
@actor_option
@json_option
def assign_return(db, return_id, courier, day, seq, actor, as_json) -> None:  # type: ignore[no-untyped-def]
    """Put a return (reverse pickup) on a courier's route."""

    async def call(ctx):  # type: ignore[no-untyped-def]
        return await c.assign_return(ctx, return_id, courier, day, seq)

    command(db, actor, as_json, call, outcome_text)


@click.command("move-stock")
@db_option
@click.argument("return_id")
@click.argument("sku")
@click.option("--qty", type=int, default=1, show_default=True)
@click.option(
    "--from",
    "source",
    default="graded",
    show_default=True,
    help="graded, available or quarantined.",
)
@click.option(
    "--to",
    "target",
    required=True,
    help=f"available, quarantined, disposed, returned_to_merchant or {OUT}.",
)
@click.option("--received-by", default="", help="Who at the merchant received units sent back.")
@click.option("--signature", type=click.Path(exists=True), help="Their signature (image file).")
@actor_option
@json_option
@guarded
def move_stock(  # type: ignore[no-untyped-def]
    db, return_id, sku, qty, source, target, received_by, signature, actor, as_json
) -> None:
    """Move QTY units of SKU of a return between stock states (release a quarantine,
    dispose, send back to the merchant with a signature)."""
    signed = c.Attachment.from_file(signature) if signature else None

    async def call(ctx):  # type: ignore[no-untyped-def]
        return await c.move_stock(
            ctx, return_id, sku, qty, source, target, received_by=received_by, signature=signed
        )

    command(db, actor, as_json, call, outcome_text)


@click.command("pickups")
@db_option
@click.option("--day", default=None, help="Route day YYYY-MM-DD (default today).")
@json_option
def pickups(db: str, day: str | None, as_json: bool) -> None:
    """The returns to pick up on this courier's route."""

    def text(rows: list[c.Pickup]) -> str:
        lines = [
            f"{p.route_seq:>3} {p.doc_id} {p.recipient_name}, {p.address} {p.city} "
            f"({p.units} unit(s), {p.status})"
            for p in rows
        ]
        return "\n".join(lines) or "no pickups on this route"

    command(db, None, as_json, lambda ctx: c.my_pickups(ctx, day), text)


@click.command("pickup-return")
@db_option
@click.argument("return_id")
@click.option("--name", "handed_by", default="", help="Who handed the parcel over.")
@click.option("--signature", type=click.Path(exists=True), help="Signature image file.")
@click.option("--photo", type=click.Path(exists=True), help="Photo of the parcel.")
@click.option("--lat", type=float)
@click.option("--lon", type=float)
@json_option
@guarded
def pickup_return(db, return_id, handed_by, signature, photo, lat, lon, as_json) -> None:  # type: ignore[no-untyped-def]
    """Record the reverse pickup of a return from the customer, with its proof."""
    sig = c.Attachment.from_file(signature) if signature else None
    pic = c.Attachment.from_file(photo) if photo else None

    async def call(ctx):  # type: ignore[no-untyped-def]
        return await c.pickup_return(
            ctx, return_id, handed_by=handed_by, signature=sig, photo=pic, lat=lat, lon=lon
        )

    command(db, None, as_json, call, outcome_text)


RETURN_COMMANDS = [assign_return, move_stock, pickups, pickup_return]
