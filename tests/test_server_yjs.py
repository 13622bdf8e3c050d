"""Yjs interop: the real ``yjs`` + ``y-websocket`` npm packages against ``WS /yjs``.

A Node script (``tests/yjs_client/client.mjs``) opens a shipment with a stock
``WebsocketProvider`` (``ws`` as the WebSocket, the token in ``params``),
prints what it sees, and may append an event or (forbidden) edit ``info``.
The packages are installed into ``tests/yjs_client/node_modules`` once.
"""

from __future__ import annotations

import asyncio
import json
import shutil
import sqlite3
import subprocess
import sys
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest

from protocol.commands import DocCommand
from protocol.ids import new_id
from sync import commit_commands

from .server_helpers import delivery_events, node, routed, seed

if TYPE_CHECKING:
    from .server_fixtures import Central, Names

pytest_plugins = ["tests.server_fixtures"]

CLIENT_DIR = Path(__file__).resolve().parent / "yjs_client"
NPM_TIMEOUT = 240


@pytest.fixture(scope="module")
def yjs_client() -> Path:
    """The Node client script, with its npm packages installed (else skip)."""
    node_bin, npm_bin = shutil.which("node"), shutil.which("npm")
    if node_bin is None or npm_bin is None:
        pytest.skip("node/npm not installed: the Yjs interop test needs the real npm packages")
    if not (CLIENT_DIR / "node_modules" / "y-websocket").is_dir():
        subprocess.run(
            [npm_bin, "install", "--no-audit", "--no-fund"],
            cwd=CLIENT_DIR,
            check=True,
            timeout=NPM_TIMEOUT,
            stdout=subprocess.DEVNULL,
        )
    return CLIENT_DIR / "client.mjs"


def start_client(script: Path, central: Central, doc_id: str, token: str, **opts: Any) -> Any:
    """Start the Node client; ``finish_client`` collects what it printed."""
    options = {"url": central.url.replace("http://", "ws://") + "/yjs", "docId": doc_id}
    options |= {"token": token, "timeoutMs": 8000, **opts}
    return subprocess.Popen(
        ["node", str(script), json.dumps(options)],
        cwd=script.parent,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
    )


def finish_client(process: subprocess.Popen[bytes]) -> dict[str, Any]:
    """The client's one-line JSON report (bounded by a timeout)."""
    try:
        out, err = process.communicate(timeout=20)
    except subprocess.TimeoutExpired:
        process.kill()
        out, err = process.communicate()
    sys.stderr.write(err.decode(errors="replace"))
    lines = out.decode().strip().splitlines()
    assert lines, f"the Node client printed nothing (rc {process.returncode}): {err.decode()}"
    report: dict[str, Any] = json.loads(lines[-1])
    return report


def run_client(script: Path, central: Central, doc_id: str, token: str, **opts: Any) -> Any:
    """Run the Node client to completion off the event loop."""
    return asyncio.to_thread(
        lambda: finish_client(start_client(script, central, doc_id, token, **opts))
    )


def central_rows(central: Central, sql: str, *args: Any) -> list[tuple[Any, ...]]:
    """Read central's SQLite file (read-only) directly."""
    with sqlite3.connect(f"file:{central.db_path}?mode=ro", uri=True) as db:
        return db.execute(sql, args).fetchall()


def attempt_failed(device_id: str, courier_id: str) -> dict[str, Any]:
    """A courier's failed-attempt event, as a browser client would build it."""
    return {
        "id": new_id(),
        "type": "attempt_failed",
        "hlc": f"1790000000000.000000.{device_id}",
        "device": device_id,
        "actor": courier_id,
        "payload": {"reason": "not_home"},
    }


async def _routed_shipment(central: Central, names: Names, tmp_path: Path) -> tuple[str, str]:
    """One shipment on the test courier's route; returns ``(doc_id, depot token)``."""
    [doc_id] = await seed(central, names, 1)
    _, depot_token = await routed(central, names, tmp_path, [doc_id])
    return doc_id, depot_token


async def test_office_client_sees_the_shipment(central: Central, names: Names, yjs_client: Path):
    [doc_id] = await seed(central, names, 1)
    with central.api() as api:
        tracking = api.get(f"/api/v1/shipments/{doc_id}").json()["tracking_number"]
    report = await run_client(yjs_client, central, doc_id, central.office_token)
    assert report["synced"], report
    assert report["info"]["tracking_number"] == tracking
    assert report["info"]["merchant_id"] == names.merchant
    assert [e["type"] for e in report["events"]] == ["created"]


async def test_courier_appends_an_event_seen_by_replicas(
    central: Central, names: Names, tmp_path: Path, yjs_client: Path
):
    doc_id, _ = await _routed_shipment(central, names, tmp_path)
    c_id, c_token = central.enrol("courier", depot_id=names.depot, courier_id=names.courier)
    event = attempt_failed(c_id, names.courier)
    watcher = start_client(
        yjs_client,
        central,
        doc_id,
        central.office_token,
        announceSynced=True,
        waitForEventId=event["id"],
    )
    assert (await asyncio.to_thread(wait_synced, watcher))["synced"]
    report = await run_client(yjs_client, central, doc_id, c_token, append=[event])
    assert report["synced"] and report["closed"] == [], report
    seen = await asyncio.to_thread(finish_client, watcher)
    assert event["id"] in [e["id"] for e in seen["events"]], "not relayed to the other socket"

    rows = central_rows(
        central,
        "SELECT type, device FROM p_events WHERE doc_id = ? AND event_id = ?",
        doc_id,
        event["id"],
    )
    assert rows == [("attempt_failed", c_id)]
    hh_id, hh_token = central.enrol("courier", depot_id=names.depot, courier_id=names.courier)
    async with node(central, tmp_path / "hh.db", hh_id, hh_token) as handheld:
        await handheld.sync()
        local = await handheld.store.query(
            "SELECT type FROM p_events WHERE doc_id = ? AND event_id = ?", (doc_id, event["id"])
        )
    assert [tuple(r) for r in local] == [("attempt_failed",)]


async def test_forbidden_edit_is_refused_and_not_stored(
    central: Central, names: Names, tmp_path: Path, yjs_client: Path
):
    doc_id, _ = await _routed_shipment(central, names, tmp_path)
    _, c_token = central.enrol("courier", depot_id=names.depot, courier_id=names.courier)
    before = central_rows(central, "SELECT cod_amount FROM p_shipments WHERE doc_id = ?", doc_id)
    report = await run_client(yjs_client, central, doc_id, c_token, setInfo={"cod_amount": 1})
    assert report["synced"]
    [closed] = report["closed"]
    assert closed["code"] == 4422, closed
    assert closed["reason"].startswith("forbidden_field:"), closed
    after = central_rows(central, "SELECT cod_amount FROM p_shipments WHERE doc_id = ?", doc_id)
    assert after == before == [(1000,)]
    again = await run_client(yjs_client, central, doc_id, central.office_token)
    assert again["info"]["cod_amount"] == 1000


async def test_who_may_open_what(central: Central, names: Names, tmp_path: Path, yjs_client: Path):
    doc_id, _ = await _routed_shipment(central, names, tmp_path)
    _, other = central.enrol("courier", depot_id=names.depot, courier_id=names.courier2)
    cases = [
        (doc_id, other, 4403),
        (new_id(), central.office_token, 4404),
        (doc_id, "not-a-token", 4401),
    ]
    reports = await asyncio.gather(
        *(run_client(yjs_client, central, d, token) for d, token, _ in cases)
    )
    for (_, _, code), report in zip(cases, reports, strict=True):
        assert not report["synced"]
        assert [c["code"] for c in report["closed"]] == [code], report
        assert report["closed"][0]["reason"], "a close reason says why"
        assert report["info"] == {} and report["events"] == []


def test_frames_parse_and_bad_frames_are_refused():
    from pycrdt import Array, Doc, get_state

    from server.yjs.protocol import Kind, ProtocolViolation, answer_step1, parse_frame

    doc: Doc[Any] = Doc()
    doc["events"] = Array([{"id": "e1"}])
    state = doc.get_update()
    step2 = answer_step1(state, get_state(b"\x00\x00"))
    assert parse_frame(step2).kind == Kind.SYNC_STEP2
    assert parse_frame(step2).payload == state
    assert parse_frame(b"\x01\x02\x00\x00").kind == Kind.AWARENESS
    for bad in (b"", b"\x00", b"\x00\x07\x00", b"\x00\x02\x05ab", b"\x09"):
        with pytest.raises(ProtocolViolation):
            parse_frame(bad)


def wait_synced(process: subprocess.Popen[bytes]) -> dict[str, Any]:
    """The first line of a client started with ``announceSynced`` (it has synced)."""
    assert process.stdout is not None
    line = process.stdout.readline()
    assert line, "the Node client ended before it synced"
    first: dict[str, Any] = json.loads(line)
    return first


async def test_a_change_pushed_over_http_reaches_an_open_socket(
    central: Central, names: Names, tmp_path: Path, yjs_client: Path
):
    doc_id, _ = await _routed_shipment(central, names, tmp_path)
    hh_id, hh_token = central.enrol("courier", depot_id=names.depot, courier_id=names.courier)
    events = delivery_events(hh_id, names.courier, 1000)
    watcher = start_client(
        yjs_client,
        central,
        doc_id,
        central.office_token,
        announceSynced=True,
        waitForEventId=events[-1].id,
    )
    first = await asyncio.to_thread(wait_synced, watcher)
    assert first["synced"] and [e["type"] for e in first["events"]] == ["created"], first
    async with node(central, tmp_path / "hh.db", hh_id, hh_token) as handheld:
        await handheld.sync()
        command = DocCommand.build("deliver", "shipment", events)
        await commit_commands(handheld.store, [(doc_id, command)], device_id=hh_id)
        report = await handheld.push()
    assert report.rejected == 0
    seen = await asyncio.to_thread(finish_client, watcher)
    assert [e["id"] for e in seen["events"][1:]] == [e.id for e in events], seen
    assert seen["closed"] == [], seen


async def test_a_socket_whose_document_left_its_scope_is_not_told(
    central: Central, names: Names, tmp_path: Path, yjs_client: Path
):
    """The shipment moves to another courier: the office socket sees it, the old courier's not."""
    doc_id, _ = await _routed_shipment(central, names, tmp_path)
    _, c_token = central.enrol("courier", depot_id=names.depot, courier_id=names.courier)
    watchers = [
        start_client(yjs_client, central, doc_id, token, announceSynced=True, waitMs=2000)
        for token in (c_token, central.office_token)
    ]
    for watcher in watchers:
        assert (await asyncio.to_thread(wait_synced, watcher))["synced"]
    await routed(central, names, tmp_path, [doc_id], names.courier2, "depot2.db")
    courier, office = [await asyncio.to_thread(finish_client, w) for w in watchers]
    assert office["info"]["courier_id"] == names.courier2, office
    assert courier["info"]["courier_id"] == names.courier, "the change leaked out of scope"
