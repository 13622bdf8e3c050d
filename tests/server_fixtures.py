"""A real central server on 127.0.0.1 for the ``test_server_*`` modules.

Loaded with ``pytest_plugins = ["tests.server_fixtures"]``. One server process
per test session (a random free port, a fresh SQLite file, fast webhook
retries); every test works in its own depot / courier / merchant namespace so
tests never see each other's data.
"""

from __future__ import annotations

import datetime as dt
import email.utils
import os
import socket
import subprocess
import sys
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest

from simulation.central_process import wait_answering
from tests.pg import STORE_KINDS, pg_url

OFFICE_TOKEN = "office-test-token-0123456789"
WEBHOOK_BACKOFF = 0.05


def free_port() -> int:
    """A TCP port nobody listens on right now."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@dataclass
class Central:
    url: str
    office_token: str
    db_path: Path
    process: subprocess.Popen[bytes]

    @property
    def ws_url(self) -> str:
        return self.url.replace("http://", "ws://") + "/sync/live"

    def api(self, token: str | None = None) -> httpx.Client:
        """A JSON client for the REST API, authenticated as ``token`` (office by default)."""
        return httpx.Client(
            base_url=self.url,
            headers={"authorization": f"Bearer {token or self.office_token}"},
            timeout=10,
        )

    def today(self) -> dt.date:
        """The UTC day by central's own clock, read off its HTTP ``Date`` header.

        Tests over the wire ask the server what day it is instead of reading the
        calendar themselves: central stamps, folds and reports by its clock.
        """
        answer = httpx.get(self.url + "/office/login", timeout=10)
        return email.utils.parsedate_to_datetime(answer.headers["date"]).astimezone(dt.UTC).date()

    def enrol(self, role: str, **keys: str) -> tuple[str, str]:
        """Enrol a device through the API; returns ``(device_id, token)``."""
        with self.api() as client:
            answer = client.post("/api/v1/devices", json={"role": role, **keys})
        answer.raise_for_status()
        body = answer.json()
        return body["device_id"], body["token"]


def start_central(
    db_path: Path,
    port: int | None = None,
    log: Path | None = None,
    user: int | None = None,
    **serve_options: object,
) -> Central:
    """Start ``python -c serve(...)`` as a subprocess and wait until it answers.

    ``serve_options`` are more keyword arguments of ``serve`` (as their repr;
    ``AuthLimit`` is in scope); webhooks may point at 127.0.0.1 (the test receivers
    live there);
    with ``log`` the server's stderr (its log) goes to that file; with ``user``
    it runs as that uid (and gid), for a test run as root.
    """
    port = port or free_port()
    serve_options.setdefault("webhook_allow_private", True)
    extra = "".join(f", {key}={value!r}" for key, value in serve_options.items())
    code = (
        "from server import serve; from server.auth_limit import AuthLimit; "
        f"serve({str(db_path)!r}, '127.0.0.1', {port}, {OFFICE_TOKEN!r}, "
        f"webhook_backoff={WEBHOOK_BACKOFF}{extra})"
    )
    with open(log or os.devnull, "ab") as stderr:
        process = subprocess.Popen(
            [sys.executable, "-c", code],
            cwd=Path(__file__).resolve().parent.parent,
            stdout=subprocess.DEVNULL,
            stderr=stderr if log else None,
            user=user,
            group=user,
            extra_groups=[] if user is not None else None,
        )
    url = f"http://127.0.0.1:{port}"
    try:
        wait_answering(url, process, 20)
    except BaseException:
        process.kill()
        process.wait()
        raise
    return Central(url, OFFICE_TOKEN, db_path, process)


def stop_central(central: Central) -> None:
    """Stop the process (SIGTERM, then SIGKILL)."""
    central.process.terminate()
    try:
        central.process.wait(10)
    except subprocess.TimeoutExpired:
        central.process.kill()
        central.process.wait()


def central_on(kind: str, tmp_path_factory: pytest.TempPathFactory) -> Central:
    """A central server on a store of ``kind``: a SQLite file, or (``postgres``) a fresh
    PostgreSQL schema served by two worker processes."""
    folder = tmp_path_factory.mktemp(f"central-{kind}")
    if kind == "postgres":
        url = pg_url("central")
        return start_central(url, secret_file=str(folder / "secret"), workers=2)  # type: ignore[arg-type]
    return start_central(folder / "central.db")


@pytest.fixture(scope="module", params=STORE_KINDS)
def central_each(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Central]:
    """A module's central server, once on SQLite and once on PostgreSQL with 2 workers
    (a module opts in with ``central = central_each``)."""
    server = central_on(request.param, tmp_path_factory)
    yield server
    stop_central(server)


@pytest.fixture(scope="session")
def central(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Central]:
    """The session's central server."""
    server = start_central(tmp_path_factory.mktemp("central") / "central.db")
    yield server
    stop_central(server)


@dataclass(frozen=True)
class Names:
    """Ids unique to one test: its depot, two couriers, a merchant."""

    depot: str
    courier: str
    courier2: str
    merchant: str


@pytest.fixture
def names() -> Names:
    tag = uuid.uuid4().hex[:8]
    return Names(f"D-{tag}", f"C-{tag}", f"C2-{tag}", f"M-{tag}")
