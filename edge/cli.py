"""``parcelsync edge``: run a handheld or depot node, and one-shot commands.

Every one-shot command opens the replica, calls the same Python function the
node uses (:mod:`edge.commands`), prints readable text (or ``--json``) and
turns any refusal into one ``error:`` line with exit code 1.
"""

from __future__ import annotations

import asyncio
import signal

import click
import msgspec

from protocol.permissions import Device
from protocol.vocab import Role

from ._cli_courier import COURIER_COMMANDS
from ._cli_depot import DEPOT_COMMANDS
from ._cli_returns import RETURN_COMMANDS
from ._cli_support import amount_minor, db_option, json_option, run, with_ctx
from .context import EdgeContext, Identity, enroll, read_identity, wall_ms
from .errors import NotEnrolled, WrongRole
from .store import EdgeStore


@click.group()
def edge() -> None:
    """The offline edge node: courier handheld and depot."""


@edge.command("enroll")
@db_option
@click.option("--device-id", required=True, help="Device id, as enrolled at central.")
@click.option("--role", type=click.Choice(["courier", "depot"]), required=True)
@click.option("--depot", "depot_id", required=True, help="Depot id.")
@click.option("--courier", "courier_id", default="", help="Courier id (handhelds).")
@click.option("--upstream", default="", help="Upstream URL (central, or the depot for handhelds).")
@click.option("--token", default="", help="The device token issued at enrolment.")
@click.option("--cash-limit", default=None, help="Cash-in-hand limit, like 500.00.")
@click.option("--currency", default="EUR", show_default=True)
def enroll_cmd(db, device_id, role, depot_id, courier_id, upstream, token, cash_limit, currency):  # type: ignore[no-untyped-def]
    """Enrol this replica for a device; another courier's data is wiped."""

    async def call() -> bool:
        limit = amount_minor(cash_limit, currency) if cash_limit else None
        identity = Identity(
            device_id, Role(role), depot_id, courier_id, upstream, token, limit, currency
        )
        async with await EdgeStore.open(db) as store:
            return await enroll(store, identity)

    wiped = run(call())
    click.echo(f"enrolled {device_id} ({role})" + ("; previous data wiped" if wiped else ""))


@edge.command("enroll-handheld")
@db_option
@click.option("--device-id", required=True, help="The handheld's device id (same as central).")
@click.option("--courier", "courier_id", required=True, help="The courier using it.")
@click.option("--token", required=True, help="The handheld's token (same as central).")
def enroll_handheld(db: str, device_id: str, courier_id: str, token: str) -> None:
    """On a depot node: let a handheld sync with this depot."""

    async def call(ctx: EdgeContext) -> None:
        ctx.require(Role.DEPOT)
        device = Device(device_id, Role.COURIER, ctx.identity.depot_id, courier_id)
        await ctx.store.enroll(device, label=f"handheld of {courier_id}", token=token)

    run(with_ctx(db, None, call))
    click.echo(f"handheld {device_id} of {courier_id} may sync with this depot")


retry_max_option = click.option(
    "--retry-max",
    type=click.FloatRange(min=0, min_open=True),
    default=60.0,
    show_default=True,
    help="Longest wait in seconds between retries while the upstream is unreachable.",
)


async def _serve(  # type: ignore[no-untyped-def]
    db: str, role: Role, upstream: str | None, token: str | None, retry_max: float, **kw
) -> None:
    async with await EdgeStore.open(db) as store:
        identity = await read_identity(store)
        if identity is None:
            raise NotEnrolled(f"{db} is not enrolled: run 'parcelsync edge enroll' first")
        if identity.role != role:
            raise WrongRole(f"{db} is enrolled as a {identity.role} node, not {role}")
        changes = {k: v for k, v in (("upstream", upstream), ("token", token)) if v}
        if changes:
            await enroll(store, msgspec.structs.replace(identity, **changes))
    from .node import EdgeNode  # the node's servers and pages: only when running one
    from .sync_loop import Backoff

    stop = asyncio.Event()
    for sig in (signal.SIGINT, signal.SIGTERM):
        asyncio.get_running_loop().add_signal_handler(sig, stop.set)
    async with EdgeNode(db, live=True, backoff=Backoff(cap=retry_max), **kw) as node:
        where = f", serving handhelds on port {node.relay.port}" if node.relay else ""
        if node.pages is not None:
            host = kw["pages"][0]
            where += f", pages on http://{host}:{node.pages.port}/"
        click.echo(f"{role} node {node.ctx.device_id} running{where}; Ctrl-C stops", err=True)
        await stop.wait()


@edge.command()
@db_option
@click.option("--upstream", default=None, help="The depot (or central) URL; stored for next time.")
@click.option("--token", default=None, help="This handheld's token; stored for next time.")
@click.option("--interval", default=5.0, show_default=True, help="Poll interval in seconds.")
@click.option(
    "--batch",
    type=click.IntRange(min=1),
    default=200,
    show_default=True,
    help="Outbox items per push (small on a slow link).",
)
@click.option(
    "--pages",
    default=None,
    metavar="127.0.0.1:PORT",
    help="Serve the courier's pages on this loopback address (off unless given).",
)
@retry_max_option
def handheld(
    db: str,
    upstream: str | None,
    token: str | None,
    interval: float,
    batch: int,
    pages: str | None,
    retry_max: float,
) -> None:
    """Run a courier handheld: sync in the background until stopped."""
    at = loopback_address(pages) if pages else None
    kw = {"interval": interval, "batch": batch, "pages": at}
    run(_serve(db, Role.COURIER, upstream, token, retry_max, **kw))


@edge.command()
@db_option
@click.option("--upstream", default=None, help="Central's URL; stored for next time.")
@click.option("--token", default=None, help="This depot's token; stored for next time.")
@click.option(
    "--listen", default="127.0.0.1:8710", show_default=True, help="HOST:PORT for handhelds."
)
@click.option("--interval", default=5.0, show_default=True, help="Poll interval in seconds.")
@click.option(
    "--pages",
    default=None,
    metavar="HOST:PORT",
    help="Serve the depot desk pages there, e.g. on the depot LAN (off unless given).",
)
@retry_max_option
def depot(
    db: str,
    upstream: str | None,
    token: str | None,
    listen: str,
    interval: float,
    pages: str | None,
    retry_max: float,
) -> None:
    """Run a depot node: sync with central and serve the depot's handhelds."""
    kw = {"listen": host_port(listen, "--listen"), "interval": interval}
    kw["pages"] = host_port(pages, "--pages") if pages else None
    run(_serve(db, Role.DEPOT, upstream, token, retry_max, **kw))


@edge.command("staff-pin")
@db_option
@click.option("--staff", required=True, help="The staff member's id, as they sign in.")
@click.option(
    "--pin", prompt=True, hide_input=True, confirmation_prompt=True, help="4 to 8 digits."
)
def staff_pin(db: str, staff: str, pin: str) -> None:
    """On a depot node: give a staff member a PIN for the desk pages (or a new one)."""
    from .pages.pin import set_pin
    from .pages.session import staff_key

    async def call(ctx: EdgeContext) -> None:
        ctx.require(Role.DEPOT)
        await set_pin(ctx.store, staff_key(staff.strip()), pin)

    run(with_ctx(db, None, call))
    click.echo(f"{staff} may sign in at the depot desk pages")


def host_port(text: str, option: str) -> tuple[str, int]:
    """``HOST:PORT`` as a pair (``BadParameter`` naming ``option`` otherwise)."""
    host, _, port = text.rpartition(":")
    if not host or not port.isdigit():
        raise click.BadParameter(f"{text!r}: give HOST:PORT", param_hint=option)
    return host, int(port)


def loopback_address(text: str) -> tuple[str, int]:
    """``127.0.0.1:8720`` as a pair; the courier's pages never listen beyond the device."""
    host, port = host_port(text, "--pages")
    if host not in ("127.0.0.1", "localhost", "::1"):
        raise click.BadParameter(
            f"{text!r}: give 127.0.0.1:PORT (the pages are for the handheld itself)",
            param_hint="--pages",
        )
    return host, port


@edge.command()
@db_option
@json_option
def status(db: str, as_json: bool) -> None:
    """Last sync, items waiting, oldest unsent, quarantined items, cursor lag."""

    from .status import NodeStatus, node_status  # the sync client's health report

    async def call() -> NodeStatus:
        async with await EdgeStore.open(db) as store:
            return await node_status(store, wall_ms())

    s = run(call())
    if as_json:
        click.echo(msgspec.json.encode(s).decode())
        return
    age = "never" if s.last_sync_age_s is None else f"{s.last_sync_age_s:.0f} s ago"
    oldest = "-" if s.oldest_unsent_age_s is None else f"{s.oldest_unsent_age_s:.0f} s"
    click.echo(f"{s.role} {s.device_id} (depot {s.depot_id} {s.courier_id}) -> {s.upstream}")
    click.echo(f"documents {s.documents}; last sync {age}; cursor {s.cursor}, lag {s.cursor_lag}")
    click.echo(f"waiting {s.waiting} (oldest {oldest}); quarantined {len(s.quarantined)}")
    if s.last_error:
        click.echo(f"last error: {s.last_error}")
    for q in s.quarantined:
        click.echo(
            f"  quarantined {q.command or '?'} on {q.doc_type} {q.doc_id}: {q.code}: {q.message}"
        )


@edge.command("sync")
@db_option
def sync_once(db: str) -> None:
    """Run one sync round now (push, then pull until caught up) and exit."""

    from .node import EdgeNode

    async def call() -> str:
        node = EdgeNode(db, interval=3600)
        await node.start()
        try:
            assert node.loop is not None
            report = await node.loop.round()
        finally:
            await node.stop()
        return f"pushed {report.pushed}, rejected {report.rejected}, pulled {report.pulled_docs}"

    click.echo(run(call()))


for _cmd in (*COURIER_COMMANDS, *DEPOT_COMMANDS, *RETURN_COMMANDS):
    edge.add_command(_cmd)

__all__ = ["edge"]
