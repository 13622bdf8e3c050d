"""Credentials over the wire: lockouts after refused tokens, strong office tokens,
sessions that end on the server, the office token kept off command lines."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path
from typing import TYPE_CHECKING

import httpx
import pytest
from websockets.asyncio.client import connect
from websockets.exceptions import InvalidStatus

from server.auth_limit import AuthFailureLimiter, AuthLimit
from simulation.demo import DemoConfig, start_server, wait_ready

from .browser.world import CSRF_FIELD, csrf_token, office_session

if TYPE_CHECKING:
    from collections.abc import Iterator

    from .server_fixtures import Central

pytest_plugins = ["tests.server_fixtures"]

FAILURES = 5


def proc_cmdline(pid: int) -> list[str]:
    """What ``ps`` shows of process ``pid``: its arguments."""
    return Path(f"/proc/{pid}/cmdline").read_bytes().decode().split("\0")


@pytest.fixture
def strict(tmp_path: Path) -> Iterator[Central]:
    """A central of its own that locks a client out after ``FAILURES`` refusals."""
    # imported here: the module is loaded as a plugin, before which it must not be imported
    from .server_fixtures import start_central, stop_central

    limit = AuthLimit(failures=FAILURES, window=600.0, lockout=600.0)
    server = start_central(tmp_path / "central.db", log=tmp_path / "central.log", auth_limit=limit)
    yield server
    stop_central(server)


def test_wrong_bearer_tokens_lock_the_address_out_with_429(strict: Central, tmp_path: Path):
    with httpx.Client(base_url=strict.url, timeout=10) as client:
        wrong = {"authorization": "Bearer not-the-token"}
        answers = [client.get("/api/v1/shipments", headers=wrong) for _ in range(FAILURES)]
        assert [a.status_code for a in answers] == [401] * FAILURES
        locked = client.get("/api/v1/shipments", headers=wrong)
        assert locked.status_code == 429, locked.text
        assert 0 < int(locked.headers["retry-after"]) <= 600
        assert "retry after" in locked.json()["detail"]
        right = {"authorization": f"Bearer {strict.office_token}"}
        assert client.get("/api/v1/devices", headers=right).status_code == 429, "a guess answered"
        form = {"token": strict.office_token, CSRF_FIELD: "x"}
        assert client.post("/office/login", data=form).status_code == 429
    assert (
        "locked out for 600 s after 5 refused credentials" in (tmp_path / "central.log").read_text()
    )


async def test_a_locked_out_address_cannot_open_sockets(strict: Central):
    async with httpx.AsyncClient(base_url=strict.url, timeout=10) as client:
        for _ in range(FAILURES):
            await client.get("/api/v1/devices", headers={"authorization": "Bearer nope"})
    ws = strict.url.replace("http://", "ws://") + "/sync/live"
    auth = {"authorization": f"Bearer {strict.office_token}"}
    with pytest.raises(InvalidStatus):
        async with connect(ws, additional_headers=auth, open_timeout=10):
            pass


def test_office_login_guesses_are_locked_out(strict: Central):
    with httpx.Client(base_url=strict.url, timeout=10) as client:
        csrf = {CSRF_FIELD: csrf_token(client)}
        codes = [
            client.post("/office/login", data={"token": f"guess-{n}"} | csrf).status_code
            for n in range(FAILURES + 3)
        ]
        assert codes == [401] * FAILURES + [429] * 3
        right = client.post("/office/login", data={"token": strict.office_token} | csrf)
        assert right.status_code == 429 and "office_session" not in right.headers.get(
            "set-cookie", ""
        )


def test_answers_to_requests_without_any_credential_do_not_count(strict: Central):
    """A dashboard whose session ended gets 401s; it guessed nothing."""
    with httpx.Client(base_url=strict.url, timeout=10) as client:
        codes = {client.get("/office/tables/devices.csv").status_code for _ in range(FAILURES * 2)}
        assert codes == {401}
        right = {"authorization": f"Bearer {strict.office_token}"}
        assert client.get("/api/v1/devices", headers=right).status_code == 200


def test_a_lockout_ends_after_its_time_and_old_failures_expire():
    now = [0.0]
    limiter = AuthFailureLimiter(AuthLimit(failures=3, window=10.0, lockout=60.0), lambda: now[0])
    assert not limiter.failed("a") and not limiter.failed("a")
    now[0] = 11.0  # both fell out of the window
    assert not limiter.failed("a") and not limiter.failed("a")
    assert limiter.retry_after("a") is None
    assert limiter.failed("a"), "the third within the window locks out"
    assert limiter.retry_after("a") == 60 and limiter.retry_after("b") is None
    now[0] = 70.5
    assert limiter.retry_after("a") == 1
    now[0] = 71.0
    assert limiter.retry_after("a") is None


def test_a_copied_session_cookie_does_not_work_after_logout(central: Central):
    with office_session(central) as client:
        copied = httpx.Cookies(client.cookies)
        logout = client.post("/office/logout", data={CSRF_FIELD: csrf_token(client, "/office/")})
        assert logout.status_code == 303
    with httpx.Client(base_url=central.url, cookies=copied, timeout=10) as thief:
        assert thief.get("/office/").status_code == 303, "the session outlived its logout"
        assert thief.get("/office/tables/devices.csv").status_code == 401


@pytest.mark.parametrize("token", ["x", "password", "a" * 40, "short-but-mixed-12"])
def test_a_weak_office_token_stops_the_server_saying_why(tmp_path: Path, token: str):
    from .server_fixtures import free_port

    code = f"from server import serve; serve({str(tmp_path / 'c.db')!r}, '127.0.0.1', "
    code += f"{free_port()}, {token!r})"
    try:
        done = subprocess.run(
            [sys.executable, "-c", code], capture_output=True, text=True, timeout=30
        )
    except subprocess.TimeoutExpired:
        pytest.fail(f"the server started with office token {token!r}")
    assert done.returncode != 0
    assert "office token: too" in done.stderr, done.stderr


async def test_the_demo_keeps_the_office_token_off_the_command_line(tmp_path: Path):
    from .server_fixtures import free_port

    token = "demo-office-token-0123456789abcdef"
    config = DemoConfig(tmp_path, port=free_port())
    server = start_server(config, token)
    try:
        cmdline = " ".join(proc_cmdline(server.pid))
        assert token not in cmdline and token not in " ".join(map(str, server.args))
        headers = {"authorization": f"Bearer {token}"}
        url = f"http://127.0.0.1:{config.port}"
        async with httpx.AsyncClient(base_url=url, headers=headers, timeout=10) as http:
            await wait_ready(http, server)
            answer = await http.get("/api/v1/devices")
        assert answer.status_code == 200, "central did not take the token from its environment"
    finally:
        server.terminate()
        server.wait(10)
