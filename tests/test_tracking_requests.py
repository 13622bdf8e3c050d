# ruff: noqa: RUF001 - a Cyrillic postcode that looks Latin is the point
"""The recipient on the tracking page: a new delivery date and instructions for the courier.

A real central on 127.0.0.1 (one for the module), real depot and handheld nodes
syncing over HTTP, the handheld's pages served offline afterwards. Each refusal
is checked to change nothing (the shipment's history stays as it was).
"""

from __future__ import annotations

import asyncio
import contextlib
import html
import json
import re
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Any

import httpx
import msgspec
import pytest
from click.testing import CliRunner

from edge import commands as c
from edge.cli import edge
from edge.node import EdgeNode
from edge.sync_loop import Backoff
from protocol.delivery import effective_info, instructions
from protocol.events import RecipientRequest
from protocol.followups import recipient_refused
from protocol.info import ShipmentInfo
from protocol.vocab import Role, ShipmentStatus

from ._edge_world import Wall
from .browser.chromium import chromium
from .edge_pages_helpers import client as pages_client
from .edge_pages_helpers import sign_in
from .factories import ev
from .followup_helpers import Edge, central_now_ms, day_after, edge_node

if TYPE_CHECKING:
    from .server_fixtures import Central, Names

pytest_plugins = ["tests.server_fixtures"]
S = ShipmentStatus
POSTCODE = "1012 AB"
NOTE = "leave with the neighbour at no. 12; ring twice"
FAILURES = 6  # refused postcodes before the address is locked out


@pytest.fixture(scope="module")
def central(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Central]:
    """One central for the module, locking an address out after a few wrong postcodes."""
    from .server_fixtures import start_central, stop_central  # a plugin: import late

    limit = f"AuthLimit(failures={FAILURES}, window=600, lockout=600)"
    server = start_central(tmp_path_factory.mktemp("track") / "central.db", auth_limit=_Raw(limit))
    yield server
    stop_central(server)


class _Raw(str):
    """A serve() option written as code (``start_central`` passes its repr)."""

    def __repr__(self) -> str:
        return str(self)


def test_the_recipients_rules_bound_the_day_the_text_and_the_status() -> None:
    today = "2026-09-21"
    assert recipient_refused(S.AT_DEPOT, "2026-10-05", "", today) is None  # 14 days ahead
    assert recipient_refused(S.ATTEMPT_FAILED, today, "ring twice", today) is None
    codes = {
        "far": (S.AT_DEPOT, "2026-10-06", ""),
        "past": (S.AT_DEPOT, "2026-09-20", ""),
        "date": (S.AT_DEPOT, "21/09/2026", ""),
        "long": (S.AT_DEPOT, "", "x" * 301),
        "empty": (S.AT_DEPOT, "", "  "),
        "day_status": (S.OUT_FOR_DELIVERY, "2026-09-22", ""),
        "status": (S.DELIVERED, "", "ring twice"),
    }
    for code, (status, day, text) in codes.items():
        refused = recipient_refused(status, day, text, today)
        assert refused is not None and refused.code == code, (code, refused)
    assert recipient_refused(S.OUT_FOR_DELIVERY, "", "ring twice", today) is None
    with pytest.raises(msgspec.ValidationError, match="instructions"):
        msgspec.convert({"instructions": "x" * 301}, RecipientRequest.Body)


def test_the_latest_request_moves_the_day_and_its_instructions_stand() -> None:
    info = ShipmentInfo("M1", "TN1", "EUR", route_day="2026-09-21")
    first = ev("recipient_request", 1_000, route_day="2026-09-23", instructions="ring twice")
    second = ev("recipient_request", 2_000, instructions="leave it at no. 12")
    assert effective_info(info, [second, first]).route_day == "2026-09-23"
    assert instructions([second, first]) == "leave it at no. 12"
    assert instructions([]) == ""


def create(central: Central, token: str, names: Names, ref: str) -> dict[str, Any]:
    body = {
        "order_ref": ref,
        "currency": "EUR",
        "depot_id": names.depot,
        "address": "Damrak 1",
        "postcode": POSTCODE,
        "city": "Amsterdam",
    }
    with central.api(token) as api:
        answer = api.post("/api/v1/shipments", json=body)
    assert answer.status_code == 201, answer.text
    created: dict[str, Any] = answer.json()
    return created


def form_token(page: httpx.Response) -> str:
    found = re.search(r'name="form_token" value="([0-9a-f]+)"', page.text)
    assert found, page.text
    return found.group(1)


def error_of(page: httpx.Response, name: str) -> str:
    found = re.search(f'id="{name}-error">([^<]*)<', page.text)
    assert found, page.text
    return html.unescape(found.group(1))


def kinds(central: Central, token: str, sid: str) -> list[str]:
    with central.api(token) as api:
        answer = api.get(f"/api/v1/shipments/{sid}/history")
    assert answer.status_code == 200, answer.text
    return [e["type"] for e in answer.json()]


class Recipient:
    """A browser on the tracking page of one parcel (it keeps the form cookie)."""

    def __init__(self, central: Central, number: str, lang: str = "en"):
        headers = {"accept-language": lang}
        self.web = httpx.Client(base_url=central.url, headers=headers, timeout=10)
        self.number = number
        self.page = self.web.get(f"/track/{number}")
        assert self.page.status_code == 200, self.page.text

    def __enter__(self) -> Recipient:
        return self

    def __exit__(self, *_: object) -> None:
        self.web.close()

    def ask(self, form: str, **fields: str) -> httpx.Response:
        data = {"form_token": form_token(self.page)} | fields
        return self.web.post(f"/track/{self.number}/{form}", data=data)


async def handheld_pages(path: Path, sid: str, wall_ms: int) -> tuple[str, str]:
    """The handheld's route and stop pages at ``wall_ms``, served offline from what it synced."""
    hh = EdgeNode(
        path,
        upstream="http://127.0.0.1:9",
        token="unused",
        wall=Wall(wall_ms),
        pages=("127.0.0.1", 0),
        backoff=Backoff(base=5, cap=10),
    )
    async with hh, pages_client(hh) as web:
        await sign_in(web)
        route, stop = await web.get("/"), await web.get(f"/stops/{sid}")
    assert route.status_code == 200 and stop.status_code == 200, stop.text
    return route.text, stop.text


def edge_find(db: Path, number: str) -> dict[str, Any]:
    """``parcelsync edge find --json`` on the handheld's file."""
    result = CliRunner().invoke(edge, ["find", "--db", str(db), "--json", number])
    assert result.exit_code == 0, result.output
    found: dict[str, Any] = json.loads(result.output)
    return found


async def routed(depot: Edge, sid: str, courier: str, day: str) -> None:
    await depot.sync()
    await c.assign(depot.ctx, sid, courier, day, 1, "morning round")
    await depot.sync()


async def test_instructions_and_a_new_date_reach_the_handheld(
    central: Central, names: Names, tmp_path: Path
) -> None:
    _, token = central.enrol("merchant", merchant_id=names.merchant)
    shipment = create(central, token, names, "R-1")
    sid, number = shipment["id"], shipment["tracking_number"]
    today = central.today()
    tomorrow = day_after(today, 1)
    async with (
        edge_node(central, names, tmp_path / "depot.db", Role.DEPOT) as depot,
        contextlib.AsyncExitStack() as stack,
        edge_node(central, names, tmp_path / "hh.db", Role.COURIER, names.courier) as hh,
    ):
        await routed(depot, sid, names.courier, today.isoformat())
        before = kinds(central, token, sid)
        me = stack.enter_context(Recipient(central, number))
        assert 'for="instructions"' in me.page.text and 'for="route_day"' in me.page.text

        cyrillic = me.ask("instructions", postcode="1012 АВ", instructions=NOTE)
        assert cyrillic.status_code == 401  # letters that only look alike do not match
        wrong = me.ask("instructions", postcode="9999 ZZ", instructions=NOTE)
        assert wrong.status_code == 401
        assert error_of(wrong, "note-postcode") == "We could not confirm these details."
        long = me.ask("instructions", postcode=POSTCODE, instructions="x" * 301)
        assert long.status_code == 400 and "300" in error_of(long, "instructions")
        past = me.ask("day", postcode=POSTCODE, route_day=day_after(today, -1))
        assert past.status_code == 400 and "today or a later" in error_of(past, "route_day")
        far = me.ask("day", postcode=POSTCODE, route_day=day_after(today, 15))
        assert far.status_code == 400 and "14 days" in error_of(far, "route_day")
        unsigned = me.web.post(
            f"/track/{number}/day", data={"postcode": POSTCODE, "route_day": tomorrow}
        )
        assert unsigned.status_code == 403 and "expired" in error_of(unsigned, "day-status")
        assert kinds(central, token, sid) == before  # no refusal wrote anything

        left = me.ask("instructions", postcode=POSTCODE.lower().replace(" ", ""), instructions=NOTE)
        assert left.status_code == 200 and "will see your instructions" in left.text
        moved = me.ask("day", postcode=POSTCODE, route_day=tomorrow)
        assert moved.status_code == 200 and f"deliver on {tomorrow}" in moved.text
        assert kinds(central, token, sid) == [*before, "recipient_request", "recipient_request"]
        public = me.web.get(f"/track/{number}").text
        assert "You left instructions for the courier." in public
        assert "You asked for a new delivery date." in public and NOTE not in public

        await hh.sync()
        assert await c.load_route(hh.ctx, today.isoformat()) == []
        (stop,) = await c.load_route(hh.ctx, tomorrow)
        assert stop.doc_id == sid
        await c.out_for_delivery(hh.ctx, sid)
        await hh.sync()
        late = me.ask("day", postcode=POSTCODE, route_day=day_after(today, 2))
        assert late.status_code == 409 and "can no longer change" in error_of(late, "route_day")
        again = me.ask("instructions", postcode=POSTCODE, instructions="ring once")
        assert again.status_code == 200  # instructions still reach a parcel on its way
        await hh.sync()
    found = await asyncio.to_thread(edge_find, tmp_path / "hh.db", number)
    assert found["instructions"] == "ring once"
    day_later = central_now_ms(central) + 24 * 3600 * 1000  # the handheld on the new day
    route, stop_text = await handheld_pages(tmp_path / "hh.db", sid, day_later)
    assert number in route and '<span class="instructions">ring once</span>' in route
    assert 'id="instructions"' in stop_text and "ring once" in stop_text and NOTE not in stop_text


async def test_the_forms_speak_the_pages_language(
    central: Central, names: Names, tmp_path: Path
) -> None:
    _, token = central.enrol("merchant", merchant_id=names.merchant)
    shipment = create(central, token, names, "R-2")
    with Recipient(central, shipment["tracking_number"], "ro-RO,ro;q=0.9") as me:
        assert "Cod poștal" in me.page.text and "Instrucțiuni pentru curier" in me.page.text
        assert "Cereți această dată" in me.page.text
        long = me.ask("instructions", postcode=POSTCODE, instructions="y" * 400)
    assert long.status_code == 400 and error_of(long, "instructions") == "Cel mult 300 caractere."
    assert long.headers["content-language"] == "ro"


def test_a_browser_leaves_instructions_and_sees_a_wrong_postcode_refused(
    central: Central, names: Names, tmp_path: Path
) -> None:
    from selenium.webdriver.common.by import By

    _, token = central.enrol("merchant", merchant_id=names.merchant)
    shipment = create(central, token, names, "R-4")
    before = kinds(central, token, shipment["id"])
    with chromium(tmp_path / "downloads") as browser:
        browser.get(f"{central.url}/track/{shipment['tracking_number']}")

        def send(postcode: str, text: str) -> None:
            browser.find_element(By.ID, "note-postcode").send_keys(postcode)
            browser.find_element(By.ID, "instructions").send_keys(text)
            browser.find_element(By.ID, "ask-note-button").click()

        send("0000 XX", NOTE)
        error = browser.find_element(By.ID, "note-postcode-error")
        assert error.text == "We could not confirm these details."
        field = browser.find_element(By.ID, "note-postcode")
        assert field.get_attribute("aria-describedby") == "note-postcode-error"
        assert kinds(central, token, shipment["id"]) == before
        browser.find_element(By.ID, "note-postcode").clear()
        browser.find_element(By.ID, "instructions").clear()
        send(POSTCODE, NOTE)
        done = browser.find_element(By.ID, "done").text
        assert done == "The courier will see your instructions."
        assert "You left instructions for the courier." in browser.page_source
    assert kinds(central, token, shipment["id"]) == [*before, "recipient_request"]


async def test_wrong_postcodes_lock_the_address_out(
    central: Central, names: Names, tmp_path: Path
) -> None:
    """Last in the module: it locks 127.0.0.1 out of this module's central."""
    _, token = central.enrol("merchant", merchant_id=names.merchant)
    shipment = create(central, token, names, "R-3")
    with Recipient(central, shipment["tracking_number"]) as me:
        answers = [me.ask("day", postcode=f"000{i}", route_day="") for i in range(FAILURES + 1)]
        right = me.ask("instructions", postcode=POSTCODE, instructions=NOTE)
    assert answers[0].status_code == 401 and answers[-1].status_code == 429
    assert right.status_code == 429  # locked out: even the right postcode waits
