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

from sync.http_transport import MAX_BODY
from sync.limits import Limits

from .app import create_app

Runner = Literal["uvicorn", "granian"]
RUNNERS: tuple[Runner, ...] = ("uvicorn", "granian")
DEFAULT_RUNNER: Runner = "uvicorn"


def serve(
    db_path: str | Path = "parcelsync-central.db",
    host: str = "127.0.0.1",
    port: int = 8000,
    office_token: str | None = None,
    *,
    webhook_backoff: float = 2.0,
    runner: Runner = DEFAULT_RUNNER,
    secure_cookies: bool = False,
    limits: dict[str, int] | None = None,
    max_body: int | None = None,
    webhook_allow_private: bool | None = None,
) -> None:
    """Serve central with ``runner`` (uvicorn or granian) until interrupted (blocking).

    ``office_token`` defaults to ``$PARCELSYNC_OFFICE_TOKEN``. On a fresh file
    without either, a bootstrap office token is printed once on stdout.
    ``secure_cookies`` marks the office cookies Secure on every request (they
    are on https ones anyway; uvicorn trusts ``X-Forwarded-Proto`` from
    ``$FORWARDED_ALLOW_IPS``, 127.0.0.1 by default).

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
    app = create_app(
        db_path,
        office_token=office_token,
        webhook_backoff=webhook_backoff,
        secure_cookies=secure_cookies,
        limits=Limits(**{**limits_from_env(os.environ), **(limits or {})}),
        max_body=max_body or int(os.environ.get("PARCELSYNC_MAX_BODY") or MAX_BODY),
        webhook_allow_private=(
            os.environ.get("PARCELSYNC_WEBHOOKS_ALLOW_PRIVATE") == "1"
            if webhook_allow_private is None
            else webhook_allow_private
        ),
    )

    @app.on_startup.append
    def announce() -> None:
        token = app.state.central.bootstrap_token
        if token:
            print(f"office token (shown once, store it): {token}", flush=True)
        print(f"parcelsync central on http://{host}:{port} (db {db_path})", flush=True)

    if runner == "granian":
        _granian(app, host, port)
    else:
        uvicorn.run(app, host=host, port=port, log_level="warning", lifespan="on")


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
