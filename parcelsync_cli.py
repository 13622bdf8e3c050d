"""The ``parcelsync`` command: the composition root that starts nodes as users would.

It stays thin: every subcommand hands over to the package that owns the work
(``server``, ``edge``, ``simulation``, ``bench``).
"""

from __future__ import annotations

import importlib
from typing import Any

import click


class LazyGroup(click.Group):
    """A command group whose ``lazy`` subcommands (``name -> "module:attribute"``)
    are imported only when invoked (or listed): a one-shot ``parcelsync edge ...``
    on a handheld never loads the server."""

    lazy: dict[str, str] = {}

    def list_commands(self, ctx: click.Context) -> list[str]:
        return sorted({*super().list_commands(ctx), *self.lazy})

    def get_command(self, ctx: click.Context, cmd_name: str) -> click.Command | None:
        if cmd_name in self.lazy:
            module, attribute = self.lazy[cmd_name].split(":")
            command: click.Command = getattr(importlib.import_module(module), attribute)
            return command
        return super().get_command(ctx, cmd_name)


class Main(LazyGroup):
    lazy = {
        "edge": "edge.cli:edge",
        "report": "server.office.report:report",
        "office": "server.office.cli:office",
    }


@click.group(cls=Main, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(package_name="parcelsync")
def main() -> None:
    """parcelsync: offline-first backend for parcel couriers and returns.

    Central server, depot edges and courier handhelds each keep a SQLite
    replica of CRDT documents and converge whenever they meet.
    """


@main.command()
@click.option(
    "--db",
    "db_path",
    envvar="PARCELSYNC_DB",
    default="var/central.db",
    show_default=True,
    help="SQLite file of the central replica (created if missing), or a "
    "postgresql://user@host/db URL.",
)
@click.option(
    "--workers",
    type=click.IntRange(min=1),
    default=1,
    show_default=True,
    help="Server processes (PostgreSQL only: a SQLite file has one writer).",
)
@click.option("--host", default="127.0.0.1", show_default=True, help="Address to listen on.")
@click.option("--port", default=8000, show_default=True, help="TCP port to listen on.")
@click.option(
    "--office-token",
    envvar="PARCELSYNC_OFFICE_TOKEN",
    default=None,
    help="Office token to accept (at least 20 characters); without it a new one is "
    "printed on first start. Prefer $PARCELSYNC_OFFICE_TOKEN: a flag is visible in ps.",
)
@click.option(
    "--secure-cookies",
    is_flag=True,
    help="Mark the head-office cookies Secure (send them over https only) on every "
    "request; they are anyway on https requests and behind a proxy sending "
    "X-Forwarded-Proto: https.",
)
@click.option(
    "--auth-failures",
    default=20,
    show_default=True,
    help="Refused credentials (401s, sockets closed 4401) from one address within "
    "--auth-window seconds that lock it out.",
)
@click.option("--auth-window", default=60.0, show_default=True, help="Seconds failures count.")
@click.option(
    "--auth-lockout",
    default=300.0,
    show_default=True,
    help="Seconds a locked-out address gets 429 (Retry-After) on every request.",
)
@click.option(
    "--secret-file",
    envvar="PARCELSYNC_SECRET_FILE",
    default=None,
    help="File (created 0600) holding the office session secret; default: the "
    "database path + '.secret'. Never inside the database.",
)
@click.option(
    "--max-clock-skew",
    "skew_minutes",
    envvar="PARCELSYNC_MAX_CLOCK_SKEW_MINUTES",
    type=click.IntRange(min=1),
    default=240,
    show_default=True,
    help="Minutes an event's clock (HLC) may be ahead of central's; later ones are refused.",
)
@click.option(
    "--smtp-host",
    envvar="PARCELSYNC_SMTP_HOST",
    default="",
    help="SMTP server for recipient e-mails (none: no e-mails).",
)
@click.option("--smtp-port", envvar="PARCELSYNC_SMTP_PORT", default=25, show_default=True)
@click.option(
    "--smtp-from",
    envvar="PARCELSYNC_SMTP_FROM",
    default="parcelsync@localhost",
    show_default=True,
    help="From address of recipient e-mails.",
)
@click.option(
    "--sms-gateway-url",
    envvar="PARCELSYNC_SMS_GATEWAY_URL",
    default="",
    help="HTTP gateway that sends recipient SMS (POST JSON id, to, text).",
)
@click.option(
    "--public-url",
    envvar="PARCELSYNC_PUBLIC_URL",
    default="",
    help="Central's address as recipients reach it, for tracking links.",
)
@click.option(
    "--time-zone",
    envvar="PARCELSYNC_TIME_ZONE",
    default="UTC",
    show_default=True,
    help="Time zone of the depots' recipients (tracking page times).",
)
@click.option(
    "--depot-zones",
    envvar="PARCELSYNC_DEPOT_ZONES",
    default="",
    help="Per-depot time zones: DEPOT=ZONE,DEPOT=ZONE (e.g. D-1=Europe/Sofia).",
)
def server(
    db_path: str,
    workers: int,
    host: str,
    port: int,
    office_token: str | None,
    secure_cookies: bool,
    auth_failures: int,
    auth_window: float,
    auth_lockout: float,
    secret_file: str | None,
    skew_minutes: int,
    **notify: Any,
) -> None:
    """Run the central server (sync endpoints, merchant API, devices, webhooks, notifications)."""
    from pathlib import Path

    from server.auth_limit import AuthLimit
    from server.run import serve
    from sync._pg_dialect import is_postgres

    if not is_postgres(db_path):
        Path(db_path).parent.mkdir(parents=True, exist_ok=True)
    limit = AuthLimit(auth_failures, auth_window, auth_lockout)
    serve(
        db_path,
        host,
        port,
        office_token,
        secure_cookies=secure_cookies,
        auth_limit=limit,
        secret_file=secret_file,
        max_skew_ms=skew_minutes * 60_000,
        workers=workers,
        **notify,
    )


@main.command("trim-log")
@click.option(
    "--db",
    "db_path",
    envvar="PARCELSYNC_DB",
    default="var/central.db",
    show_default=True,
    help="SQLite file of the central replica, or its postgresql:// URL.",
)
@click.option(
    "--keep-days",
    type=click.FloatRange(min=0),
    default=30.0,
    show_default=True,
    help="Keep the log rows received in this many last days.",
)
@click.option("--dry-run", is_flag=True, help="Only say how many rows would go.")
def trim_log_command(db_path: str, keep_days: float, dry_run: bool) -> None:
    """Drop central's old update-log rows (it may be running meanwhile).

    A device that last synced before the cut receives its documents whole on
    its next sync instead of the dropped rows: nothing is lost, it costs that
    device more bytes once. Rows the webhook scanner has not read yet stay.
    The file does not shrink; SQLite reuses the freed pages.
    """
    import asyncio

    from server.maintenance import DAY_MS, is_central_file, trim_log
    from server.store import CentralStore
    from sync._pg_dialect import redacted
    from sync._records import now_ms

    if not is_central_file(db_path):
        raise click.BadParameter(
            f"{redacted(db_path)} is not a central replica file", param_hint="--db"
        )

    async def run() -> None:
        async with await CentralStore.open(db_path) as store:
            done = await trim_log(store, round(keep_days * DAY_MS), now_ms(), dry_run=dry_run)
        verb = "would drop" if dry_run else "dropped"
        click.echo(f"trim-log: {verb} {done.rows} log rows (log floor: seq {done.up_to_seq})")
        if done.held_back:
            click.echo("trim-log: kept rows the webhook scanner has not read yet")

    asyncio.run(run())


@main.command()
@click.option("--host", default="127.0.0.1", show_default=True, help="Address central listens on.")
@click.option("--port", default=8000, show_default=True, help="Port central listens on.")
@click.option(
    "--dir",
    "directory",
    default="var/demo",
    show_default=True,
    type=click.Path(file_okay=False),
    help="Where the central, depot and handheld SQLite files go.",
)
@click.option(
    "--office-token",
    envvar="PARCELSYNC_OFFICE_TOKEN",
    default="",
    help="Office token for central (default: a new random one, printed).",
)
@click.option(
    "--duration",
    type=float,
    default=None,
    metavar="SECONDS",
    help="Stop by itself after this many seconds (default: run until Ctrl-C).",
)
@click.option("--seed", default=1, show_default=True, help="Seed of the demo data.")
@click.option(
    "--keep",
    is_flag=True,
    help="Continue the previous run kept in --dir (its nodes sync again, no new day is "
    "played) instead of removing its files and starting afresh.",
)
@click.option(
    "--until-done",
    is_flag=True,
    help="Stop once the day is played and head office has paid the merchants (or when "
    "--duration runs out), instead of syncing on until Ctrl-C.",
)
def demo(
    host: str,
    port: int,
    directory: str,
    office_token: str,
    duration: float | None,
    seed: int,
    keep: bool,
    until_done: bool,
) -> None:
    """Start central, a depot edge and simulated handhelds on demo data.

    Central runs as a subprocess on embedded SQLite; devices are enrolled and
    shipments created through its HTTP APIs; the depot edge and the handhelds
    sync in the background while couriers deliver, fail, collect COD and hand
    over cash (one handheld goes offline and comes back). Ctrl-C stops all.
    A second run starts afresh (the day is played again) unless --keep.
    """
    import asyncio
    from pathlib import Path

    from simulation.demo import DemoConfig, run

    config = DemoConfig(
        Path(directory), host, port, office_token, duration, seed, keep=keep, until_done=until_done
    )
    try:
        asyncio.run(run(config, click.echo))
    except KeyboardInterrupt:
        pass  # Ctrl-C is how the demo is meant to end: the nodes are stopped already
    click.echo(f"demo: stopped; its data is kept in {directory} (--keep continues it)")


@main.command()
@click.option("--depots", default=2, show_default=True, help="Depots in the network.")
@click.option("--couriers", default=3, show_default=True, help="Couriers (handhelds) per depot.")
@click.option("--stops", default=20, show_default=True, help="Stops per courier per day (+-20%).")
@click.option("--days", default=1, show_default=True, help="Working days to run.")
@click.option("--seed", default=1, show_default=True, help="Seed of the fixtures and the chaos.")
@click.option(
    "--offline-rate",
    default=0.0,
    show_default=True,
    help="Chance per tick (5 simulated minutes) that a handheld goes offline for 15-60 minutes.",
)
@click.option(
    "--wan-outage",
    default=0,
    show_default=True,
    metavar="MINUTES",
    help="Each depot loses its link to central once a day for this long.",
)
@click.option(
    "--duplicate",
    default=0.0,
    show_default=True,
    help="Chance that a sync message is delivered twice.",
)
@click.option(
    "--cut",
    default=0.0,
    show_default=True,
    help="Chance that a sync request, or its answer, is lost.",
)
@click.option(
    "--reorder",
    is_flag=True,
    help="Shuffle the sync order each tick and use random batch and page sizes.",
)
@click.option(
    "--kill",
    default=0,
    show_default=True,
    help="Nodes killed mid-day (replica closed, reopened from its file) per day.",
)
@click.option(
    "--dir",
    "directory",
    type=click.Path(file_okay=False),
    default=None,
    help="Keep the replica files here (default: a temporary directory).",
)
@click.option(
    "--processes",
    is_flag=True,
    help="Run central, each depot and each handheld as OS processes over HTTP "
    "(--kill, --offline-rate and --wan-outage (seconds) apply; --duplicate, --cut "
    "and --reorder are refused). Their clocks and scheduling are real, so the state "
    "digest differs from run to run; in one process the same seed repeats it.",
)
@click.option(
    "--db",
    "central_db",
    default="",
    help="Central's store: a postgresql://user@host/db URL (default: a SQLite file in --dir).",
)
@click.option(
    "--national",
    is_flag=True,
    help="The fixtures' full size with chaos on: --depots 40 --couriers 40 --stops 115 "
    "(184k shipments, 1,641 replicas), and --offline-rate 0.01 --wan-outage 30 "
    "--duplicate 0.01 --cut 0.01 --reorder --kill 1 unless given.",
)
@click.option("--json", "as_json", is_flag=True, help="Print one JSON object, nothing else.")
def simulate(directory: str | None, as_json: bool, **options: object) -> None:
    """Run working days of a generated network in one process and check it.

    Central, one depot relay per depot and one handheld per courier, each a
    real SQLite replica; couriers deliver, fail, collect COD and hand over
    cash, depots count it, deposit it and grade returns, head office decides
    holds and remits. Exits 1 unless every replica converged, no update was
    lost and every money and returns identity holds.

    ``--national`` is the fixtures' full size (40x40x115, 184k shipments,
    1,641 replicas) with chaos on; at the 24-29 ms of CPU per shipment measured
    on the shared 2-core machine it takes well over an hour (docs/performance.md).
    Progress goes to stderr (also with --json) every simulated hour and at
    least every 30 s.
    """
    from simulation.cli import run_simulate

    ok = run_simulate(options, directory, as_json)
    raise SystemExit(0 if ok else 1)


@main.command()
@click.option(
    "--quick",
    is_flag=True,
    help="Small sizes (under a minute): checks every benchmark runs, for CI.",
)
@click.option(
    "--json",
    "as_json",
    is_flag=True,
    help="Print one JSON object (raw results, table rows, timings).",
)
def bench(quick: bool, as_json: bool) -> None:
    """Run every benchmark and print one table.

    Each figure is shown with the baseline measured in the same run (raw
    sqlite3 executemany + merge_updates for throughput, the smallest scope
    for idle resync, the bare Yjs update for bytes) and their ratio.
    """
    import asyncio
    import json

    from bench.run import render, run_all

    def progress(message: str) -> None:
        click.echo(message, err=True)

    result = asyncio.run(run_all(quick, progress))
    click.echo(json.dumps(result) if as_json else render(result["table"]))


if __name__ == "__main__":
    main()
