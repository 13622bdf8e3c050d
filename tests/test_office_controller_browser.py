"""Head office as a controller uses it, in headless Chromium against the real central.

One world for the module: a named merchant, depot, courier and handhelds; a
parcel routed today and delivered with its COD, one routed three days ago,
and one delivered twice offline by two handhelds (a double delivery). The
controller signs in with a named office device. Days come from central's
clock (``Central.today``), never from the test's calendar. Screenshots go to
``/tmp/shots/office-*.png``.
"""

from __future__ import annotations

import asyncio
import csv
import dataclasses
import datetime as dt
import io
import json
import re
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest
from click.testing import CliRunner

from protocol.commands import DocCommand
from protocol.events import Delivered, ProofOfDelivery
from protocol.ids import new_id
from protocol.lifecycle import fold_shipment
from protocol.vocab import PodRelation
from server.office.loader import load_shipment
from server.office.report import report
from server.office.views import Figure
from server.office.web.formatting import figure_text
from sync import ReplicaStore, commit_commands

from .browser.chromium import WAIT_S, chromium, office_log_in
from .browser.world import (
    create_shipment,
    deliver_on_handheld,
    office_session,
    route_on_days,
)
from .server_helpers import clock, node, office_rows

if TYPE_CHECKING:
    from selenium.webdriver.remote.webdriver import WebDriver

    from .server_fixtures import Central, Names

pytest_plugins = ["tests.server_fixtures"]

SHOTS = Path("/tmp/shots")
MERCHANT, DEPOT, COURIER, CONTROLLER = "Tulip & Co", "Haarlem depot", "Jan de Vries", "Anna Smit"
HANDHELDS = ("Handheld A of Jan", "Handheld B of Jan")
RECEIVERS = (("Els Bakker", "self"), ("Piet Visser", "neighbour"))


def _names() -> Names:
    """The test's parties with UUIDs for ids (as real enrolments have)."""
    from .server_fixtures import Names

    return Names(*(str(uuid.uuid4()) for _ in range(4)))


@dataclass
class World:
    central: Central  # with the named office device's token
    names: Names
    today: dt.date
    delivered: dict[str, Any]
    older: dict[str, Any]
    twice: dict[str, Any]
    handhelds: list[tuple[str, str, Path]]  # (device id, token, replica file)
    depot_db: Path
    named: dict[str, str]  # id -> the name every page must show instead


async def _deliver_twice(central: Central, world: World, tmp: Path) -> None:
    """Two handhelds of the courier each record a proof of delivery, offline, then push."""
    for i, label in enumerate(HANDHELDS):
        device_id, token = central.enrol(
            "courier",
            depot_id=world.names.depot,
            courier_id=world.names.courier,
            label=label,
            courier_name=COURIER,
        )
        world.handhelds.append((device_id, token, tmp / f"twice-{i}.db"))
    # both sync first (the parcel is on their route), then both deliver before pushing
    for device_id, token, path in world.handhelds:
        async with node(central, path, device_id, token) as hh:
            await hh.sync()
    for (device_id, token, path), (receiver, relation) in zip(
        world.handhelds, RECEIVERS, strict=True
    ):
        hlc = clock(device_id).now()
        pod = ProofOfDelivery(
            recipient_name=receiver,
            relation=PodRelation(relation),
            device_time_ms=hlc.wall_ms,
            lat=52.38,
            lon=4.64,
        )
        event = Delivered(
            id=new_id(),
            hlc=hlc.encode(),
            device=device_id,
            actor=world.names.courier,
            payload=pod,
        )
        async with node(central, path, device_id, token) as hh:
            command = DocCommand.build("deliver", "shipment", [event])
            await commit_commands(hh.store, [(world.twice["id"], command)], device_id=device_id)
            assert (await hh.push()).rejected == 0


@pytest.fixture(scope="module")
def world(central: Central, tmp_path_factory: pytest.TempPathFactory) -> World:
    tmp = tmp_path_factory.mktemp("controller")
    names = _names()
    office_id, office_token = central.enrol("office", label=CONTROLLER)
    depot_id, _ = central.enrol(
        "depot", depot_id=names.depot, label="Haarlem sorting desk", depot_name=DEPOT
    )
    with central.api() as api:
        terms = {"fee_percent_bp": 100, "name": MERCHANT}
        api.put(f"/api/v1/office/merchants/{names.merchant}/terms", json=terms).raise_for_status()
    today = central.today()
    delivered = create_shipment(central, names, "today-1", cod_amount=1250)
    older = create_shipment(central, names, "older-1", cod_amount=900)
    twice = create_shipment(central, names, "twice-1")
    depot_db = tmp / f"depot-{names.depot}.db"
    days = {s["id"]: today.isoformat() for s in (delivered, twice)}
    days[older["id"]] = (today - dt.timedelta(3)).isoformat()
    asyncio.run(route_on_days(central, names, tmp, days))
    asyncio.run(deliver_on_handheld(central, names, tmp, delivered["tracking_number"], cod=1250))
    named = {
        names.merchant: MERCHANT,
        names.depot: DEPOT,
        names.courier: COURIER,
        office_id: CONTROLLER,
        depot_id: "Haarlem sorting desk",
    }
    w = World(
        dataclasses.replace(central, office_token=office_token),
        names,
        today,
        delivered,
        older,
        twice,
        [],
        depot_db,
        named,
    )
    asyncio.run(_deliver_twice(central, w, tmp))
    w.named |= {
        device_id: label for (device_id, _, _), label in zip(w.handhelds, HANDHELDS, strict=True)
    }
    return w


@pytest.fixture(scope="module")
def browser(world: World, tmp_path_factory: pytest.TempPathFactory) -> Iterator[WebDriver]:
    with chromium(tmp_path_factory.mktemp("downloads")) as driver:
        driver.set_window_size(1400, 1000)
        office_log_in(driver, world.central)
        yield driver


def _shot(driver: WebDriver, name: str) -> None:
    SHOTS.mkdir(parents=True, exist_ok=True)
    driver.save_screenshot(str(SHOTS / f"office-{name}.png"))


def _report(world: World, *args: str) -> dict[str, str]:
    """``parcelsync report reconcile --json ARGS`` as figure name -> text."""
    result = CliRunner().invoke(
        report, ["reconcile", "--json", "--db", str(world.central.db_path), *args]
    )
    assert result.exit_code == 0, result.output
    overview = json.loads(result.output)["overview"]
    figures = [*overview["kpis"], *overview["cod"], *overview["exceptions"]]
    return {f["name"]: figure_text(Figure(**f)) for f in figures}


def _page_figures(driver: WebDriver) -> dict[str, str]:
    from selenium.webdriver.common.by import By

    return {
        box.get_attribute("data-name") or "": box.find_element(By.CSS_SELECTOR, ".value").text
        for box in driver.find_elements(By.CSS_SELECTOR, "#figures [data-name]")
    }


def test_the_overview_of_today_and_of_a_range_gives_the_reports_figures(
    browser: WebDriver, world: World
) -> None:
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support.ui import Select, WebDriverWait

    browser.get(world.central.url + "/office/")
    Select(browser.find_element(By.NAME, "period")).select_by_visible_text("Today")
    browser.find_element(By.CSS_SELECTOR, "#period button").click()
    WebDriverWait(browser, WAIT_S).until(lambda d: "period=today" in d.current_url)
    today = _page_figures(browser)
    _shot(browser, "overview-today")
    assert today == _report(world, "--period", "today")

    start = (world.today - dt.timedelta(3)).isoformat()
    period = browser.find_element(By.NAME, "period")
    Select(period).select_by_visible_text("All time")
    for field, value in (("from", start), ("to", world.today.isoformat())):
        box = browser.find_element(By.NAME, field)
        browser.execute_script("arguments[0].value = arguments[1]", box, value)
    browser.find_element(By.CSS_SELECTOR, "#period button").click()
    WebDriverWait(browser, WAIT_S).until(lambda d: f"from={start}" in d.current_url)
    ranged = _page_figures(browser)
    assert ranged == _report(world, "--from", start, "--to", world.today.isoformat())
    # the range holds today's shipments and the one routed three days ago
    assert int(ranged["shipments"].replace(",", "")) == int(today["shipments"]) + 1


def test_a_kpi_chart_has_one_point_per_day_and_its_numbers_a_click_away(
    browser: WebDriver, world: World
) -> None:
    from selenium.webdriver.common.by import By

    start = (world.today - dt.timedelta(3)).isoformat()
    query = f"group=depot&from={start}&to={world.today.isoformat()}"
    browser.get(f"{world.central.url}/office/tables/kpis?{query}")
    row = browser.find_element(By.CSS_SELECTOR, f'tr.chart[data-key="{world.names.depot}"]')
    _shot(browser, "kpi-charts")
    assert DEPOT in row.text
    delivered, first_attempt = row.find_elements(By.CSS_SELECTOR, "svg.spark")
    assert len(delivered.find_elements(By.CSS_SELECTOR, "circle.point")) == 4
    # a day with no delivery has no rate: a gap, still one point of the chart per day
    assert len(first_attempt.find_elements(By.CSS_SELECTOR, ".point")) == 4
    days = [p.get_attribute("data-day") for p in delivered.find_elements(By.TAG_NAME, "circle")]
    assert days == [(world.today - dt.timedelta(n)).isoformat() for n in (3, 2, 1, 0)]
    assert delivered.find_elements(By.TAG_NAME, "circle")[-1].get_attribute("data-value") == "2.0"
    row.find_element(By.CSS_SELECTOR, "a.numbers").click()
    with office_session(world.central, world.central.office_token) as client:
        sheet = client.get("/office/tables/kpi_days.csv", params=_query(browser.current_url))
    rows = [
        r for r in csv.DictReader(io.StringIO(sheet.text)) if r["Group id"] == world.names.depot
    ]
    assert [(r["Group"], r["Day"], r["Delivered"]) for r in rows] == [
        (DEPOT, day, "2" if day == world.today.isoformat() else "0") for day in days
    ]


def _query(url: str) -> dict[str, str]:
    from urllib.parse import parse_qsl, urlsplit

    return dict(parse_qsl(urlsplit(url).query))


async def _replica_open_conflicts(world: World, path: Path, device_id: str, token: str) -> int:
    async with node(world.central, path, device_id, token) as replica:
        await replica.sync()
    async with await ReplicaStore.open(path) as store:
        record = await load_shipment(store, world.twice["id"])
    assert record is not None
    return len(fold_shipment(record.events, None).open_conflicts)


def test_a_double_delivery_is_decided_side_by_side_and_the_audit_log_shows_who(
    browser: WebDriver, world: World
) -> None:
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support.ui import WebDriverWait

    (open_,) = office_rows(world.central, "conflicts", merchant=world.names.merchant)
    with world.central.api() as api:
        resolve = f"/api/v1/office/conflicts/{world.twice['id']}/{open_['conflict_id']}/resolve"
        wrong = api.post(resolve, json={"note": "x", "keep": "not-an-event"})
        bad_period = api.get("/api/v1/office/overview", params={"period": "fortnight"})
    assert wrong.status_code == 400 and "keep" in wrong.text  # and nothing changed:
    assert office_rows(world.central, "conflicts", merchant=world.names.merchant) == [open_]
    assert bad_period.status_code == 400 and "period" in bad_period.text

    browser.get(world.central.url + "/office/tables/exceptions?kind=unresolved_conflict")
    answer = next(
        tr.find_element(By.CSS_SELECTOR, "a.answer")
        for tr in browser.find_elements(By.CSS_SELECTOR, "table.data tbody tr")
        if world.twice["tracking_number"] in tr.text
    )
    answer.click()
    WebDriverWait(browser, WAIT_S).until(lambda d: d.find_elements(By.ID, "sides"))
    _shot(browser, "conflict")
    sides = browser.find_elements(By.CSS_SELECTOR, ".side")
    assert len(sides) == 2
    for side, (receiver, _), label in zip(sides, RECEIVERS, HANDHELDS, strict=True):
        text = side.text
        assert receiver in text and label in text and COURIER in text, text
        assert "52.38000, 4.64000" in text and "Received by central" in text
        assert "Status\nDelivered" in text  # what keeping it does to the status
    assert "Delivered to a neighbour." in sides[1].text
    keep = sides[1].get_attribute("data-event") or ""
    assert keep
    sides[1].find_element(By.CSS_SELECTOR, "input[name=keep]").click()
    browser.find_element(By.NAME, "note").send_keys("the neighbour signed; called Els Bakker")
    browser.find_element(By.CSS_SELECTOR, "#resolve button").click()
    WebDriverWait(browser, WAIT_S).until(lambda d: "/office/tables/exceptions" in d.current_url)
    assert world.twice["tracking_number"] not in browser.find_element(By.TAG_NAME, "main").text

    depot_id, depot_token = world.central.enrol("depot", depot_id=world.names.depot)
    replicas = [*world.handhelds, (depot_id, depot_token, world.depot_db)]
    for device_id, token, path in replicas:
        assert asyncio.run(_replica_open_conflicts(world, path, device_id, token)) == 0

    browser.get(world.central.url + "/office/tables/audit?action=conflict_resolution")
    _shot(browser, "audit")
    (entry,) = [
        tr.text
        for tr in browser.find_elements(By.CSS_SELECTOR, "table.data tbody tr")
        if world.twice["tracking_number"] in tr.text
    ]
    assert CONTROLLER in entry and "Conflict resolved" in entry and keep in entry
    assert "the neighbour signed" in entry
    with office_session(world.central, world.central.office_token) as client:
        sheet = client.get("/office/tables/audit.csv", params={"action": "conflict_resolution"})
    (row,) = [r for r in csv.DictReader(io.StringIO(sheet.text)) if keep in r["Detail"]]
    assert (row["Who"], row["What code"]) == (CONTROLLER, "conflict_resolution")


_ID_ATTRS = re.compile(r'\s(?:title|data-[a-z-]+|href|value|action|src)="[^"]*"')


def test_no_page_or_csv_shows_a_bare_id_where_a_name_exists(world: World) -> None:
    with office_session(world.central, world.central.office_token) as client:
        nav = client.get("/office/").text
        tables = [f"{n}" for n in re.findall(r'href="/office/tables/(\w+)"', nav)]
        tables += ["kpis?group=courier", "kpis?group=merchant", "kpi_days?group=courier"]
        pages = ["/office/", *(f"/office/tables/{t}" for t in tables)]
        pages.append(f"/office/shipments/{world.delivered['id']}")
        for path in pages:
            answer = client.get(path)
            assert answer.status_code == 200, path
            visible = _ID_ATTRS.sub("", answer.text)  # ids may sit on hovers and links
            for party, name in world.named.items():
                assert party not in visible, f"{path} shows {party} where {name!r} exists"
        for table in tables:
            name, _, query = table.partition("?")
            sheet = client.get(f"/office/tables/{name}.csv" + (f"?{query}" if query else ""))
            assert sheet.status_code == 200, name
            for row in csv.DictReader(io.StringIO(sheet.text)):
                for header, cell in row.items():
                    if header == "Id" or header.endswith((" id", " code")):
                        continue  # the id columns beside the names
                    for party in world.named:
                        assert party not in cell, f"{name}.csv {header!r}: {cell}"
