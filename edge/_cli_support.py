"""CLI plumbing: run a command against a replica, print text or JSON, one-line errors."""

from __future__ import annotations

import asyncio
import functools
import sys
from collections.abc import Awaitable, Callable
from typing import Any, TypeVar

import click
import msgspec

from protocol.errors import InvalidMoney, ProtocolError
from protocol.money import parse_amount
from sync import SyncError

from .context import EdgeContext
from .errors import EdgeError, InvalidInput

T = TypeVar("T")

db_option = click.option(
    "--db",
    envvar="PARCELSYNC_EDGE_DB",
    required=True,
    type=click.Path(dir_okay=False),
    help="The node's replica file (or $PARCELSYNC_EDGE_DB).",
)
json_option = click.option("--json", "as_json", is_flag=True, help="Print JSON instead of text.")
actor_option = click.option("--actor", default=None, help="Who does this (default: the courier).")


def fail(message: str) -> None:
    """Print one error line and exit 1."""
    click.echo(f"error: {message}", err=True)
    sys.exit(1)


def run(coro: Awaitable[T]) -> T:
    """Run ``coro``; every known error becomes one line on stderr and exit code 1."""
    try:
        return asyncio.run(coro)  # type: ignore[arg-type]
    except (EdgeError, ProtocolError, SyncError) as exc:
        fail(str(exc))
    except OSError as exc:
        fail(f"{exc.strerror or exc}: {getattr(exc, 'filename', '') or ''}".rstrip(": "))
    raise AssertionError("unreachable")


async def with_ctx(db: str, actor: str | None, call: Callable[[EdgeContext], Awaitable[T]]) -> T:
    """Open the replica, run ``call`` with its context, close it."""
    ctx = await EdgeContext.open(db, actor=actor)
    try:
        return await call(ctx)
    finally:
        await ctx.close()


def command(
    db: str,
    actor: str | None,
    as_json: bool,
    call: Callable[[EdgeContext], Awaitable[Any]],
    text: Callable[[Any], str],
) -> None:
    """Run one command and print its result as text or JSON."""
    result = run(with_ctx(db, actor, call))
    if as_json:
        click.echo(msgspec.json.encode(result).decode())
    else:
        click.echo(text(result))


def amount_minor(text: str, currency: str) -> int:
    """``"12.50"`` in ``currency`` as integer minor units (no floats on the way)."""
    try:
        return parse_amount(text, currency)
    except InvalidMoney as exc:
        raise InvalidInput(str(exc)) from None


def outcome_text(result: Any) -> str:
    """One line for an :class:`edge.commands.Outcome`."""
    label = result.tracking_number or result.doc_id
    return f"{label}: {result.message} [{result.status}]"


def guarded(fn: Callable[..., None]) -> Callable[..., None]:
    """Turn edge errors raised while parsing arguments into one clean line too."""

    @functools.wraps(fn)
    def wrapper(*args: Any, **kwargs: Any) -> None:
        try:
            fn(*args, **kwargs)
        except (EdgeError, ProtocolError) as exc:
            fail(str(exc))

    return wrapper
