"""What one request may carry, over the wire: items per push, the size of an event,
of a document and of a pull page (see :mod:`sync.limits`)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Any

import httpx
import msgspec
import pytest

from protocol.commands import DocCommand
from protocol.events import AttemptFailed
from protocol.ids import new_id
from protocol.vocab import FailureReason
from protocol.wire import (
    Hello,
    PullRequest,
    PullResponse,
    PushItem,
    PushRequest,
    PushResponse,
    msgpack_encoder,
    server_decoder,
)
from sync.documents import load, write_command

from .server_helpers import clock, node, routed, seed

if TYPE_CHECKING:
    from .server_fixtures import Central, Names

pytest_plugins = ["tests.server_fixtures"]

MSGPACK = {"content-type": "application/msgpack"}
SMALL = {"event_bytes": 4096, "document_bytes": 48 * 1024, "pull_bytes": 16 * 1024}


@pytest.fixture(scope="module")
def small_central(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Central]:
    """A central with small event, document and pull page limits."""
    from .server_fixtures import start_central, stop_central

    server = start_central(tmp_path_factory.mktemp("small") / "central.db", limits=SMALL)
    yield server
    stop_central(server)


def _post(central: Central, token: str, path: str, message: Any) -> httpx.Response:
    with httpx.Client(base_url=central.url, timeout=60) as client:
        return client.post(
            path,
            content=msgpack_encoder.encode(message),
            headers={**MSGPACK, "authorization": f"Bearer {token}"},
        )


def _fail(device_id: str, courier_id: str, junk: int = 0) -> DocCommand:
    """A failed attempt; ``junk`` bytes of an extra field make the event that big."""
    event = AttemptFailed(
        id=new_id(),
        hlc=clock(device_id).now().encode(),
        device=device_id,
        actor=courier_id,
        payload=AttemptFailed.Body(FailureReason.NOT_HOME),
    )
    command = DocCommand.build("fail", "shipment", [event])
    if junk:
        command.events[0]["note"] = "x" * junk
    return command


async def _courier_on(
    central: Central, names: Names, tmp_path: Path
) -> tuple[str, str, str, bytes]:
    """A shipment on the test courier's route: ``(courier device, token, doc id, state)``."""
    [shipment] = await seed(central, names, 1)
    await routed(central, names, tmp_path, [shipment])
    hh_id, hh_token = central.enrol("courier", depot_id=names.depot, courier_id=names.courier)
    async with node(central, tmp_path / "hh.db", hh_id, hh_token) as handheld:
        await handheld.sync()
        state = (await handheld.store.load([shipment]))[shipment].state
    return hh_id, hh_token, shipment, state


def _updates(hh_id: str, courier: str, state: bytes, junk: list[int]) -> list[bytes]:
    """One update per failed attempt, one after the other; ``junk`` sizes each event."""
    doc = load(state, client_id=4242)
    return [write_command(doc, _fail(hh_id, courier, size)) for size in junk]


def test_a_push_over_the_item_limit_is_refused_whole(central: Central):
    items = [PushItem(new_id(), "shipment", b"\x00\x00") for _ in range(501)]
    answer = _post(central, central.office_token, "/sync/push", PushRequest(Hello("x"), items))
    assert answer.status_code == 413, answer.content[:200]
    reply = server_decoder.decode(answer.content)
    assert reply.code == "limit_exceeded" and "at most 500 items" in reply.message


async def test_a_big_push_on_one_document_is_handled_whole(
    central: Central, names: Names, tmp_path: Path
):
    hh_id, token, shipment, state = await _courier_on(central, names, tmp_path)
    updates = _updates(hh_id, names.courier, state, [0] * 500)
    items = [PushItem(shipment, "shipment", u) for u in updates]
    answer = _post(central, token, "/sync/push", PushRequest(Hello(hh_id), items))
    reply = server_decoder.decode(answer.content)
    assert isinstance(reply, PushResponse), answer.content[:300]
    assert [r.code for r in reply.results] == ["ok"] * 500


async def test_an_event_over_the_size_limit_is_refused(
    small_central: Central, names: Names, tmp_path: Path
):
    hh_id, token, shipment, state = await _courier_on(small_central, names, tmp_path)
    small, big = _updates(hh_id, names.courier, state, [1000, SMALL["event_bytes"]])
    items = [PushItem(shipment, "shipment", small), PushItem(shipment, "shipment", big)]
    reply = server_decoder.decode(
        _post(small_central, token, "/sync/push", PushRequest(Hello(hh_id), items)).content
    )
    assert isinstance(reply, PushResponse)
    assert [r.code for r in reply.results] == ["ok", "event_too_large"]
    assert str(SMALL["event_bytes"]) in reply.results[1].message


async def test_a_document_stops_growing_at_its_limit(
    small_central: Central, names: Names, tmp_path: Path
):
    hh_id, token, shipment, state = await _courier_on(small_central, names, tmp_path)
    updates = _updates(hh_id, names.courier, state, [3000] * 20)  # ~60 KB in all
    codes = []
    for update in updates:  # one push each: the limit holds across pushes too
        reply = server_decoder.decode(
            _post(
                small_central,
                token,
                "/sync/push",
                PushRequest(Hello(hh_id), [PushItem(shipment, "shipment", update)]),
            ).content
        )
        assert isinstance(reply, PushResponse)
        codes.append(reply.results[0].code)
    accepted = codes.count("ok")
    assert 5 < accepted < 20
    assert codes == ["ok"] * accepted + ["document_too_large"] * (20 - accepted)


def _pages(central: Central, token: str, request: PullRequest) -> list[PullResponse]:
    pages = []
    while True:
        answer = _post(central, token, "/sync/pull", request)
        page = server_decoder.decode(answer.content)
        assert isinstance(page, PullResponse), answer.content[:300]
        pages.append(page)
        if not page.has_more:
            return pages
        assert len(pages) < 100, "paging makes no progress"
        request = msgspec.structs.replace(
            request, cursor=page.cursor, snapshot_after=page.snapshot_after
        )


def _size(page: PullResponse) -> int:
    return sum(len(u.update) for u in page.updates + page.entering)


async def test_pull_pages_are_bounded_in_bytes_and_still_progress(
    small_central: Central, names: Names, tmp_path: Path
):
    hh_id, token, shipment, state = await _courier_on(small_central, names, tmp_path)
    hello = Hello(hh_id)
    start = _pages(small_central, token, PullRequest(hello))[-1].cursor  # a snapshot first
    updates = _updates(hh_id, names.courier, state, [3000] * 12)  # ~36 KB, under 48 KB
    items = [PushItem(shipment, "shipment", u) for u in updates]
    pushed = server_decoder.decode(
        _post(small_central, token, "/sync/push", PushRequest(hello, items)).content
    )
    assert [r.code for r in pushed.results] == ["ok"] * 12
    from_log = _pages(small_central, token, PullRequest(hello, cursor=start))
    assert len(from_log) > 1
    assert all(_size(p) <= SMALL["pull_bytes"] for p in from_log)
    assert sum(len(p.updates) for p in from_log) == 12
    snapshot = _pages(small_central, token, PullRequest(hello))  # the whole document: one page
    assert [d.doc_id for p in snapshot for d in p.entering] == [shipment]
    assert _size(snapshot[0]) > SMALL["pull_bytes"]
