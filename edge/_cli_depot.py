"""``parcelsync edge`` depot commands: inbound, routing, cash desk, returns desk."""

from __future__ import annotations

from pathlib import Path

import click

from . import commands as c
from ._cli_support import (
    actor_option,
    amount_minor,
    command,
    db_option,
    fail,
    json_option,
    outcome_text,
    run,
    with_ctx,
)
from .commands._common import money


@click.command()
@db_option
@click.argument("codes", nargs=-1, required=True)
@actor_option
@json_option
def receive(db: str, codes: tuple[str, ...], actor: str | None, as_json: bool) -> None:
    """Inbound scan: parcels CODES arrived at this depot."""

    async def call(ctx):  # type: ignore[no-untyped-def]
        return [await c.receive(ctx, code) for code in codes]

    command(db, actor, as_json, call, lambda rs: "\n".join(outcome_text(r) for r in rs))


@click.command()
@db_option
@click.argument("code")
@click.option("--courier", required=True, help="Courier id of the route.")
@click.option("--day", required=True, help="Route day YYYY-MM-DD.")
@click.option("--seq", type=int, required=True, help="Stop number on the route.")
@click.option("--reason", default="", help="Why (kept in the shipment's history).")
@actor_option
@json_option
def assign(db, code, courier, day, seq, reason, actor, as_json) -> None:  # type: ignore[no-untyped-def]
    """Assign or reassign a parcel to a courier's route."""
    command(
        db, actor, as_json, lambda ctx: c.assign(ctx, code, courier, day, seq, reason), outcome_text
    )


@click.command("answer-change")
@db_option
@click.argument("code")
@click.argument("request_id")
@click.option("--accept/--refuse", required=True, help="Accept or refuse the change.")
@click.option("--reason", default="", help="Why (required to refuse).")
@actor_option
@json_option
def answer_change(db, code, request_id, accept, reason, actor, as_json) -> None:  # type: ignore[no-untyped-def]
    """Answer the merchant's change request REQUEST_ID on parcel CODE."""
    command(
        db,
        actor,
        as_json,
        lambda ctx: c.answer_change(ctx, code, request_id, accept, reason),
        outcome_text,
    )


@click.command("back-at-origin")
@db_option
@click.argument("code")
@actor_option
@json_option
def back_at_origin(db: str, code: str, actor: str | None, as_json: bool) -> None:
    """A parcel returning to origin is back at this depot."""
    command(db, actor, as_json, lambda ctx: c.back_at_origin(ctx, code), outcome_text)


@click.command("hand-back")
@db_option
@click.argument("code")
@click.option("--received-by", required=True, help="Who took the parcel for the merchant.")
@click.option("--signature", required=True, type=click.Path(exists=True, dir_okay=False))
@actor_option
@json_option
def hand_back(db, code, received_by, signature, actor, as_json) -> None:  # type: ignore[no-untyped-def]
    """Hand a returned parcel back to its merchant, signed for (releases its frozen COD)."""

    async def call(ctx):  # type: ignore[no-untyped-def]
        return await c.hand_back(ctx, code, received_by, c.Attachment.from_file(signature))

    command(db, actor, as_json, call, outcome_text)


@click.command("count-cash")
@db_option
@click.argument("handover_id")
@click.argument("amount")
@actor_option
@json_option
def count_cash(db: str, handover_id: str, amount: str, actor: str | None, as_json: bool) -> None:
    """Record the AMOUNT counted at the desk for a courier's handover."""

    async def call(ctx):  # type: ignore[no-untyped-def]
        return await c.count_cash(ctx, handover_id, amount_minor(amount, ctx.identity.currency))

    def text(r: c.CountResult) -> str:
        diff = "" if not r.discrepancy else f", discrepancy {money(r.discrepancy, r.currency)}"
        return (
            f"handover {r.handover_id} of {r.courier_id}: declared "
            f"{money(r.declared, r.currency)}, counted {money(r.counted, r.currency)}{diff}"
        )

    command(db, actor, as_json, call, text)


@click.command()
@db_option
@click.argument("amount")
@click.option("--batch", default=None, help="Batch id (default: a new one).")
@actor_option
@json_option
def deposit(db: str, amount: str, batch: str | None, actor: str | None, as_json: bool) -> None:
    """Record a deposit batch of counted cash."""

    async def call(ctx):  # type: ignore[no-untyped-def]
        return await c.deposit(ctx, amount_minor(amount, ctx.identity.currency), batch)

    def text(d: c.Deposit) -> str:
        return (
            f"deposit {d.batch_id}: {money(d.amount, d.currency)}, "
            f"{money(d.remaining, d.currency)} left"
        )

    command(db, actor, as_json, call, text)


@click.command("receive-return")
@db_option
@click.argument("return_id")
@actor_option
@json_option
def receive_return(db: str, return_id: str, actor: str | None, as_json: bool) -> None:
    """A returned parcel arrived at the returns desk."""
    command(db, actor, as_json, lambda ctx: c.receive_return(ctx, return_id), outcome_text)


@click.command()
@db_option
@click.argument("return_id")
@click.argument("items", nargs=-1, required=True)
@actor_option
@json_option
def inspect(db: str, return_id: str, items: tuple[str, ...], actor: str | None, as_json: bool):  # type: ignore[no-untyped-def]
    """Grade ITEMS given as SKU:GRADE:DISPOSITION[:QTY]."""

    async def call(ctx):  # type: ignore[no-untyped-def]
        return await c.inspect(ctx, return_id, [c.parse_item(i) for i in items])

    command(db, actor, as_json, call, outcome_text)


def _movement(name: str, fn, doc: str) -> click.Command:  # type: ignore[no-untyped-def]
    @click.command(name, help=doc)
    @db_option
    @click.argument("return_id")
    @click.argument("sku")
    @click.option("--qty", type=int, default=1, show_default=True)
    @actor_option
    @json_option
    def move(db, return_id, sku, qty, actor, as_json) -> None:  # type: ignore[no-untyped-def]
        command(db, actor, as_json, lambda ctx: fn(ctx, return_id, sku, qty), outcome_text)

    return move


@click.command("adjust-count")
@db_option
@click.argument("handover_id")
@click.argument("amount")
@click.option("--reason", required=True, help="Why the count is adjusted (kept with it).")
@click.option("--discrepancy", default="", help="Id of the count_mismatch it answers.")
@actor_option
@json_option
def adjust_count(  # type: ignore[no-untyped-def]
    db, handover_id, amount, reason, discrepancy, actor, as_json
) -> None:
    """Record AMOUNT of a counted handover's difference as settled (after a recount)."""

    async def call(ctx):  # type: ignore[no-untyped-def]
        minor = amount_minor(amount, ctx.identity.currency)
        return await c.adjust_count(ctx, handover_id, minor, reason, discrepancy)

    def text(r: c.Adjustment) -> str:
        return f"handover {r.handover_id}: adjusted {money(r.amount, r.currency)}"

    command(db, actor, as_json, call, text)


@click.command()
@db_option
@json_option
def stock(db: str, as_json: bool) -> None:
    """Stock per SKU and state at this depot."""

    def text(levels: list[c.StockLevel]) -> str:
        return "\n".join(f"{s.sku} {s.state}: {s.quantity}" for s in levels) or "no stock"

    command(db, None, as_json, c.stock_levels, text)


@click.command()
@db_option
@click.option("--day", required=True, help="Route day YYYY-MM-DD.")
@click.option("--courier", required=True, help="Courier id of the route.")
@click.option("--out", required=True, type=click.Path(dir_okay=False), help="PDF file to write.")
def manifest(db: str, day: str, courier: str, out: str) -> None:
    """Write the route manifest (PDF) of COURIER on DAY: stops in order, COD to collect."""

    from paper import manifest_pdf  # reportlab: only to print

    async def call(ctx):  # type: ignore[no-untyped-def]
        stops = await c.manifest_stops(ctx, day, courier)
        return len(stops), manifest_pdf(ctx.identity.depot_id, courier, c.route_day(day), stops)

    count, pdf = run(with_ctx(db, None, call))
    try:
        Path(out).write_bytes(pdf)
    except OSError as exc:
        fail(f"cannot write {out}: {exc.strerror}")
    click.echo(f"manifest of {courier} on {day}: {count} stops -> {out}")


DEPOT_COMMANDS = [
    receive,
    assign,
    answer_change,
    back_at_origin,
    hand_back,
    count_cash,
    adjust_count,
    deposit,
    receive_return,
    inspect,
    _movement("restock", c.restock, "Put graded-for-restock units of SKU back in stock."),
    _movement("dispatch", c.dispatch, "Take units of SKU out of stock."),
    stock,
    manifest,
]
