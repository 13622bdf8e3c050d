"""Running the central server: ``serve(db_path, host, port, office_token)``.

Two ASGI servers can serve the same Litestar app: uvicorn (with its
``standard`` extras) and granian. ``bench.server_http`` measures both on the
same workload; the default is the one it found faster.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Mapping
from pathlib import Path
from typing import Any, Literal

import uvicorn
from litestar import Litestar

from protocol.contents import DEFAULT_MAX_SKEW_MS
from sync._pg_dialect import is_postgres, redacted
from sync.http_transport import MAX_BODY
from sync.limits import Limits

from .app import create_app
from .auth_limit import AuthLimit
from .notifications.config import NotifyConfig
from .workers import run_workers
from .zones import DepotZones

Runner = Literal["uvicorn", "granian"]
RUNNERS: tuple[Runner, ...] = ("uvicorn", "granian")
DEFAULT_RUNNER: Runner = "uvicorn"
SKEW_ENV = "PARCELSYNC_MAX_CLOCK_SKEW_MINUTES"


def serve(
    db_path: str | Path = "parcelsync-central.db",
    host: str = "127.0.0.1",
    port: int = 8000,
    office_token: str | None = None,
    *,
    webhook_backoff: float = 2.0,
    runner: Runner = DEFAULT_RUNNER,
    secure_cookies: bool = False,
    auth_limit: AuthLimit | None = None,
    secret_file: str | Path | None = None,
    max_skew_ms: int | None = None,
    smtp_host: str = "",
    smtp_port: int = 25,
    smtp_from: str = "parcelsync@localhost",
    sms_gateway_url: str = "",
    public_url: str = "",
    time_zone: str = "UTC",
    depot_zones: str = "",
    limits: dict[str, int] | None = None,
    max_body: int | None = None,
    webhook_allow_private: bool | None = None,
    workers: int = 1,
) -> None:
    """Serve central with ``runner`` (uvicorn or granian) until interrupted (blocking).

    ``db_path`` is a SQLite file, or a ``postgresql://`` URL; on PostgreSQL
    ``workers`` processes serve one listening socket (see :mod:`server.workers`).

    ``office_token`` defaults to ``$PARCELSYNC_OFFICE_TOKEN``. On a fresh file
    without either, a bootstrap office token is printed once on stdout.
    ``secure_cookies`` marks the office cookies Secure on every request (they
    are on https ones anyway; uvicorn trusts ``X-Forwarded-Proto`` from
    ``$FORWARDED_ALLOW_IPS``, 127.0.0.1 by default). ``auth_limit`` bounds
    refused credentials per client (see :mod:`server.auth_limit`). A weak
    office token stops the server with a message saying why. ``secret_file``
    (default ``$PARCELSYNC_SECRET_FILE``, else ``<db_path>.secret``) holds the
    office session secret, 0600, outside the database. ``max_skew_ms``
    (default ``$PARCELSYNC_MAX_CLOCK_SKEW_MINUTES`` minutes, else 4 hours)
    bounds how far ahead of central's clock an event's HLC may be. ``smtp_*`` and
    ``sms_gateway_url`` turn on recipient notifications by e-mail and SMS;
    ``public_url`` is central's address as recipients reach it (tracking links).
    ``time_zone`` and ``depot_zones`` (``DEPOT=ZONE,...``) set the depots' time
    zones for the tracking page.

    ``limits`` sets fields of :class:`sync.limits.Limits` (``push_items``,
    ``event_bytes``, ``document_bytes``, ``pull_bytes``), over the ones given by
    ``$PARCELSYNC_LIMIT_<FIELD>``; ``max_body`` (or ``$PARCELSYNC_MAX_BODY``)
    bounds a request body in bytes. ``webhook_allow_private`` (or
    ``$PARCELSYNC_WEBHOOKS_ALLOW_PRIVATE=1``) lets webhooks point at loopback,
    link-local and private addresses, refused otherwise.
    """
    if runner not in RUNNERS:
        raise ValueError(f"runner {runner!r} is not one of {', '.join(RUNNERS)}")
    office_token = office_token or os.environ.get("PARCELSYNC_OFFICE_TOKEN") or None
    if max_skew_ms is None:
        max_skew_ms = skew_from_env(os.environ)
    if workers < 1:
        raise SystemExit(f"parcelsync server: --workers must be >= 1, got {workers}")
    if workers > 1 and not is_postgres(db_path):
        raise SystemExit(
            "parcelsync server: --workers needs --db postgresql://...: "
            "a SQLite file is written by one process"
        )

    def make_app(background: bool = True) -> Litestar:
        return create_app(
            db_path,
            background=background,
            office_token=office_token,
            webhook_backoff=webhook_backoff,
            secure_cookies=secure_cookies,
            auth_limit=auth_limit,
            secret_file=secret_file or os.environ.get("PARCELSYNC_SECRET_FILE") or None,
            max_skew_ms=max_skew_ms,
            notify=NotifyConfig(smtp_host, smtp_port, smtp_from, sms_gateway_url, public_url),
            zones=DepotZones.parse(time_zone, depot_zones),
            limits=Limits(**{**limits_from_env(os.environ), **(limits or {})}),
            max_body=max_body or int(os.environ.get("PARCELSYNC_MAX_BODY") or MAX_BODY),
            webhook_allow_private=(
                os.environ.get("PARCELSYNC_WEBHOOKS_ALLOW_PRIVATE") == "1"
                if webhook_allow_private is None
                else webhook_allow_private
            ),
        )

    try:
        if workers > 1:
            run_workers(make_app, str(db_path), office_token, host, port, workers)
            return
        app = make_app()
    except ValueError as exc:
        raise SystemExit(f"parcelsync server: {exc}") from None

    @app.on_startup.append
    def announce() -> None:
        token = app.state.central.bootstrap_token
        if token:
            print(f"office token (shown once, store it): {token}", flush=True)
        print(f"parcelsync central on http://{host}:{port} (db {redacted(db_path)})", flush=True)

    if runner == "granian":
        _granian(app, host, port)
    else:
        uvicorn.run(app, host=host, port=port, log_level="warning", lifespan="on")


def skew_from_env(env: Mapping[str, str]) -> int:
    """``$PARCELSYNC_MAX_CLOCK_SKEW_MINUTES`` in ms, or the default (4 hours)."""
    raw = env.get(SKEW_ENV, "").strip()
    if not raw:
        return DEFAULT_MAX_SKEW_MS
    if not raw.isdigit() or int(raw) < 1:
        raise ValueError(f"{SKEW_ENV} must be a whole number of minutes >= 1, got {raw!r}")
    return int(raw) * 60_000


def limits_from_env(environ: Mapping[str, str]) -> dict[str, int]:
    """The :class:`~sync.limits.Limits` fields set as ``PARCELSYNC_LIMIT_<FIELD>``."""
    names = ("push_items", "event_bytes", "document_bytes", "pull_bytes")
    found = {name: environ.get(f"PARCELSYNC_LIMIT_{name.upper()}") for name in names}
    try:
        return {name: int(value) for name, value in found.items() if value}
    except ValueError as exc:
        raise SystemExit(f"PARCELSYNC_LIMIT_*: not a whole number: {exc}") from None


def _granian(app: Any, host: str, port: int) -> None:
    """One granian worker (ASGI, WebSockets on) serving ``app``."""
    try:
        from granian import Granian
        from granian.constants import Interfaces
        from granian.log import LogLevels
    except ImportError:
        raise SystemExit("granian is not installed: pip install 'parcelsync[test]'") from None

    server = Granian(
        "parcelsync:central",
        address=host,
        port=port,
        interface=Interfaces.ASGI,
        log_level=LogLevels.warning,
    )
    server.serve(target_loader=lambda _target: app)


def main(argv: list[str] | None = None) -> None:
    """``python -m server DB HOST PORT [OFFICE_TOKEN]`` (the real CLI is ``parcelsync server``)."""
    args = argv if argv is not None else sys.argv[1:]
    if len(args) < 3:
        raise SystemExit("usage: python -m server DB HOST PORT [OFFICE_TOKEN]")
    serve(args[0], args[1], int(args[2]), args[3] if len(args) > 3 else None)
