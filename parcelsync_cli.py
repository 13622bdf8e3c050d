"""The ``parcelsync`` command: the composition root that starts nodes as users would.

It stays thin: every subcommand hands over to the package that owns the work
(``server``, ``edge``, ``simulation``, ``bench``).
"""

from __future__ import annotations

import click

from edge.cli import edge


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
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
    default="var/central.db",
    show_default=True,
    help="SQLite file of the central replica (created if missing).",
)
@click.option("--host", default="127.0.0.1", show_default=True, help="Address to listen on.")
@click.option("--port", default=8000, show_default=True, help="TCP port to listen on.")
@click.option(
    "--office-token",
    envvar="PARCELSYNC_OFFICE_TOKEN",
    default=None,
    help="Office token to accept; without it a new one is printed on first start.",
)
def server(db_path: str, host: str, port: int, office_token: str | None) -> None:
    """Run the central server (sync endpoints, merchant API, devices, webhooks)."""
    from pathlib import Path

    from server.run import serve

    Path(db_path).parent.mkdir(parents=True, exist_ok=True)
    serve(db_path, host, port, office_token)


main.add_command(edge)

if __name__ == "__main__":
    main()
