"""Several central processes on one PostgreSQL database and one listening socket.

The parent migrates the database and enrols the bootstrap office device once,
binds the socket, and forks ``workers`` children that each serve it with
uvicorn (the kernel hands each connection to one of them). The children keep
no state another one needs: every write goes to the database, which orders the
writers and tells every process about each commit (see :mod:`sync._postgres`),
so a device's live socket is poked whichever process took the push. The first
child alone also runs the webhook, PIN and notification workers. When a child
dies, or the parent is told to stop, every child is stopped and the parent exits.
"""

from __future__ import annotations

import asyncio
import ctypes
import multiprocessing
import os
import signal
import socket
import sys
from collections.abc import Callable, Sequence
from multiprocessing.process import BaseProcess
from typing import Any

import uvicorn

from .core import bootstrap_office
from .store import CentralStore

_PR_SET_PDEATHSIG = 1


def run_workers(
    make_app: Callable[[bool], Any],
    db_url: str,
    office_token: str | None,
    host: str,
    port: int,
    workers: int,
) -> None:
    """Serve ``make_app(background)`` from ``workers`` processes until stopped (blocking)."""
    make_app(True)  # a bad option is refused here, before anything starts
    token = asyncio.run(_prepare(db_url, office_token))
    if token:
        print(f"office token (shown once, store it): {token}", flush=True)
    listener = socket.create_server((host, port), backlog=2048, reuse_port=False)
    listener.set_inheritable(True)
    context = multiprocessing.get_context("fork")
    children = [
        context.Process(target=_child, args=(make_app, listener, n == 0), name=f"central-{n}")
        for n in range(workers)
    ]
    for child in children:
        child.start()
    print(f"parcelsync central on http://{host}:{port} ({workers} workers)", flush=True)
    _supervise(children)


async def _prepare(db_url: str, office_token: str | None) -> str | None:
    async with await CentralStore.open(db_url) as store:
        return await bootstrap_office(store, office_token)


def _child(make_app: Callable[[bool], Any], listener: socket.socket, background: bool) -> None:
    """One worker: dies with the parent, serves the shared socket."""
    libc = ctypes.CDLL(None, use_errno=True)
    libc.prctl(_PR_SET_PDEATHSIG, signal.SIGTERM)
    config = uvicorn.Config(make_app(background), log_level="warning", lifespan="on")
    uvicorn.Server(config).run(sockets=[listener])


def _supervise(children: Sequence[BaseProcess]) -> None:
    """Wait until a child ends or the parent gets SIGTERM/SIGINT; then stop them all."""
    stop = {"signal": 0}

    def on_signal(signum: int, _frame: object) -> None:
        stop["signal"] = signum

    for signum in (signal.SIGTERM, signal.SIGINT):
        signal.signal(signum, on_signal)
    while not stop["signal"] and all(child.is_alive() for child in children):
        multiprocessing.connection.wait([c.sentinel for c in children], timeout=0.5)
    for child in children:
        if child.is_alive():
            os.kill(child.pid or 0, signal.SIGTERM)
    for child in children:
        child.join(10)
        if child.is_alive():
            child.kill()
            child.join()
    failed = [c.exitcode for c in children if c.exitcode not in (0, -signal.SIGTERM)]
    if failed and not stop["signal"]:
        sys.exit(f"parcelsync server: a worker exited with {failed[0]}")
