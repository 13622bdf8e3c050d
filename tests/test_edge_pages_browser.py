"""The courier's handheld pages in a real headless Chromium, against real processes.

Central runs as its own process; the courier's handheld is ``parcelsync edge
handheld --pages`` as another. With central stopped, the courier opens the
route, collects and delivers a COD parcel with a drawn signature, a photo and
the position, fails another parcel, and hands the cash over. Central comes
back on the same port; the handheld pushes the events and uploads the proof
files by itself, and the office shipment page shows the signature and photo.
Screenshots at 360 px and 1280 px go to ``$EDGE_SHOTS`` (default
``/tmp/edge-shots``), never into the repository.
"""

from __future__ import annotations

import asyncio
import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING

import pytest

from protocol.commands import DocCommand
from simulation.fleet import spawn, stop_all
from sync import commit_commands

from .browser.chromium import WAIT_S, chromium, office_log_in
from .browser.world import (
    create_shipment,
    deliver_on_handheld,
    hand_over_via_depot,
    route_to_courier,
)
from .edge_pages_helpers import PIN, png
from .server_helpers import node

if TYPE_CHECKING:
    from selenium.webdriver.remote.webdriver import WebDriver

    from .server_fixtures import Central, Names

pytest_plugins = ["tests.server_fixtures"]
pytestmark = pytest.mark.slow
SHOTS = Path(os.environ.get("EDGE_SHOTS", "/tmp/edge-shots"))


@pytest.fixture(scope="module")
def chromium_once(tmp_path_factory: pytest.TempPathFactory) -> Iterator[WebDriver]:
    """One Chromium for the module's tests."""
    with chromium(tmp_path_factory.mktemp("downloads")) as driver:
        yield driver


@pytest.fixture
def browser(chromium_once: WebDriver) -> WebDriver:
    """The module's Chromium with no cookies: every node here is 127.0.0.1, and cookies
    ignore ports, so one test's sessions would reach the next test's pages."""
    chromium_once.execute_cdp_cmd("Network.clearBrowserCookies", {})
    return chromium_once


def shot(driver: WebDriver, name: str, width: int) -> None:
    """A full-page screenshot of the current page at ``width`` CSS pixels; at 360 px the
    page must fit the width (nothing to scroll sideways on a phone; a desk's wide table
    scrolls inside itself)."""
    driver.set_window_size(width, 800)
    height = driver.execute_script("return document.documentElement.scrollHeight")
    driver.set_window_size(width, max(640, min(int(height) + 120, 4000)))
    if width == 360:
        wide = driver.execute_script("return document.documentElement.scrollWidth")
        over = driver.execute_script(
            "return [...document.querySelectorAll('body *')]"
            ".filter(e => e.getBoundingClientRect().right > arguments[0] + 1)"
            ".slice(0, 5).map(e => e.tagName + '#' + e.id + '.' + e.className)",
            width,
        )
        assert wide <= width, f"{name}: {wide} px wide at {width} px: {over}"
    SHOTS.mkdir(parents=True, exist_ok=True)
    driver.save_screenshot(str(SHOTS / f"{name}-{width}.png"))
    driver.set_window_size(360, 800)


def edge_cli(*args: str) -> None:
    done = subprocess.run(
        [sys.executable, "-m", "parcelsync_cli", "edge", *args], capture_output=True, check=False
    )
    assert done.returncode == 0, done.stderr.decode()


async def plan_route(central: Central, names: Names, tmp: Path, day: str, ids: list[str]) -> None:
    """The depot puts ``ids`` on the courier's route of ``day``, in that order."""
    device_id, token = central.enrol("depot", depot_id=names.depot)
    async with node(central, tmp / "depot.db", device_id, token) as depot:
        await depot.sync()
        commands = [
            (
                sid,
                DocCommand(
                    "assign",
                    "shipment",
                    info={"courier_id": names.courier, "route_day": day, "route_seq": seq},
                ),
            )
            for seq, sid in enumerate(ids, start=1)
        ]
        await commit_commands(depot.store, commands, device_id=device_id)
        assert (await depot.push()).rejected == 0


def wait_for(driver: WebDriver, css: str, reload: bool = False):  # type: ignore[no-untyped-def]
    """The element at ``css`` once it exists (reloading the page while waiting if asked)."""
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support.ui import WebDriverWait

    def found(d: WebDriver):  # type: ignore[no-untyped-def]
        if reload:
            d.refresh()
        elements = d.find_elements(By.CSS_SELECTOR, css)
        return elements[0] if elements else False

    return WebDriverWait(driver, WAIT_S).until(found)


def wait_text(driver: WebDriver, css: str, expect: str) -> str:
    """The text of the element at ``css`` once it says ``expect``: a notice from the page
    before a click is not taken for the answer to it. Read inside the wait, so a page that
    re-renders meanwhile (the sync bar refreshes it) is read again, not stale."""
    from selenium.common.exceptions import StaleElementReferenceException, TimeoutException
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support.ui import WebDriverWait

    seen = ""

    def text(d: WebDriver) -> str | bool:
        nonlocal seen
        elements = d.find_elements(By.CSS_SELECTOR, css)
        seen = str(elements[0].text) if elements else seen
        return seen if elements and expect in seen else False

    wait = WebDriverWait(driver, WAIT_S, ignored_exceptions=(StaleElementReferenceException,))
    try:
        return str(wait.until(text))
    except TimeoutException:
        raise AssertionError(f"{css} says {seen!r}, not {expect!r}") from None


def draw_signature(driver: WebDriver) -> None:
    from selenium.webdriver.common.action_chains import ActionChains
    from selenium.webdriver.common.by import By

    pad = driver.find_element(By.ID, "signature-pad")
    driver.execute_script("arguments[0].scrollIntoView({block: 'center'})", pad)
    ActionChains(driver).move_to_element_with_offset(pad, -120, 10).click_and_hold().move_by_offset(
        40, -30
    ).move_by_offset(40, 40).move_by_offset(40, -40).move_by_offset(60, 30).release().perform()


def test_courier_works_offline_and_the_office_sees_the_proof(
    browser: WebDriver, names: Names, tmp_path: Path
) -> None:
    from selenium.common.exceptions import WebDriverException
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support.ui import WebDriverWait

    from .server_fixtures import free_port, start_central, stop_central

    port = free_port()
    central = start_central(tmp_path / "central.db", port=port)
    processes: list[subprocess.Popen[bytes]] = []
    try:
        cod = create_shipment(central, names, "pages-cod", cod_amount=2350)
        prepaid = create_shipment(central, names, "pages-prepaid")
        device_id, token = central.enrol("courier", depot_id=names.depot, courier_id=names.courier)
        db = tmp_path / "handheld.db"
        edge_cli(
            "enroll",
            "--db",
            str(db),
            "--device-id",
            device_id,
            "--role",
            "courier",
            "--depot",
            names.depot,
            "--courier",
            names.courier,
            "--upstream",
            central.url,
            "--token",
            token,
            "--cash-limit",
            "500.00",
        )
        pages = f"127.0.0.1:{free_port()}"
        args = ("edge", "handheld", "--db", str(db), "--pages", pages)
        processes.append(
            spawn(tmp_path / "handheld.log", *args, "--interval", "0.3", "--retry-max", "0.5")
        )
        url = f"http://{pages}"

        def pin_pad(d: WebDriver):  # type: ignore[no-untyped-def]
            d.get(url + "/login")
            return d.find_elements(By.ID, "pin")

        # the node is starting: a refused connection is a WebDriverException
        WebDriverWait(browser, WAIT_S, ignored_exceptions=(WebDriverException,)).until(pin_pad)
        browser.set_window_size(360, 800)
        shot(browser, "01-choose-pin", 360)
        browser.find_element(By.ID, "pin").send_keys(PIN)
        browser.find_element(By.ID, "pin2").send_keys(PIN)
        browser.find_element(By.CSS_SELECTOR, "#login button").click()
        day = wait_for(browser, "#day").get_attribute("data-day")

        asyncio.run(plan_route(central, names, tmp_path, day, [cod["id"], prepaid["id"]]))
        wait_for(browser, f'[data-tracking="{prepaid["tracking_number"]}"]', reload=True)
        wait_for(browser, '.sync[data-online="yes"]', reload=True)
        stops = browser.find_elements(By.CSS_SELECTOR, "#stops .stop")
        assert [s.get_attribute("data-tracking") for s in stops] == [
            cod["tracking_number"],
            prepaid["tracking_number"],
        ]
        assert "COD EUR 23.50" in stops[0].text

        stop_central(central)  # the upstream is gone from here on
        wait_for(browser, '.sync[data-online="no"]', reload=True)
        shot(browser, "02-route-offline", 360)
        shot(browser, "02-route-offline", 1280)

        browser.execute_cdp_cmd(
            "Browser.grantPermissions", {"origin": url, "permissions": ["geolocation"]}
        )
        browser.execute_cdp_cmd(
            "Emulation.setGeolocationOverride",
            {"latitude": 52.3731, "longitude": 4.8922, "accuracy": 12},
        )
        browser.find_element(By.ID, "code").send_keys(cod["tracking_number"])
        browser.find_element(By.CSS_SELECTOR, "#scan button[type=submit]").click()
        wait_for(browser, "#collect")
        shot(browser, "03-stop-cod", 360)
        shot(browser, "03-stop-cod", 1280)
        amount = browser.find_element(By.ID, "amount")
        assert amount.get_attribute("value") == "23.50"
        amount.clear()
        amount.send_keys("23.00")
        assert browser.find_element(By.ID, "collect-reason").is_displayed()
        browser.find_element(By.ID, "collect-reason").send_keys("no change for 23.50")
        browser.find_element(By.ID, "collect-button").click()
        wait_text(browser, "#notice", "collected EUR 23.00")

        browser.find_element(By.ID, "recipient_name").send_keys("Wilhelmina Oosterhuis")
        draw_signature(browser)
        photo = tmp_path / "door.png"
        photo.write_bytes(png(32, 24, shade=180))
        browser.find_element(By.ID, "photo").send_keys(str(photo))
        WebDriverWait(browser, WAIT_S).until(
            lambda d: "recorded" in d.find_element(By.ID, "where").text
        )
        assert (
            browser.find_element(By.ID, "signature")
            .get_attribute("value")
            .startswith("data:image/png;base64,")
        )
        shot(browser, "04-deliver-form", 360)
        browser.find_element(By.ID, "deliver-button").click()
        wait_text(browser, "#notice", "delivered to Wilhelmina Oosterhuis")
        assert browser.find_element(By.ID, "delivered").is_displayed()
        assert "collected EUR 23.00 (cash)" in browser.find_element(By.ID, "cod-due").text

        browser.get(f"{url}/stops/{prepaid['id']}")
        browser.find_element(By.ID, "fail-open").click()
        browser.find_element(By.CSS_SELECTOR, 'input[name=reason][value="not_home"]').click()
        browser.find_element(By.ID, "fail-button").click()
        notice = wait_text(browser, "#notice", "failed attempt recorded (Nobody home)")
        assert "next attempt" in notice
        assert "goes out again" in browser.find_element(By.ID, "next-step").text
        shot(browser, "05-after-failed-attempt", 360)

        browser.get(url + "/cash")
        assert "EUR 23.00" in browser.find_element(By.ID, "cash").text
        assert browser.find_element(By.ID, "limit").text == "EUR 500.00"
        browser.find_element(By.ID, "handover-button").click()
        wait_text(browser, "#notice", "Handed over EUR 23.00")
        shot(browser, "06-cash-handed-over", 360)
        shot(browser, "06-cash-handed-over", 1280)
        bar = browser.find_element(By.CSS_SELECTOR, ".sync")
        assert bar.get_attribute("data-online") == "no"
        assert int(bar.get_attribute("data-waiting")) >= 3
        assert bar.get_attribute("data-files") == "2"

        central = start_central(tmp_path / "central.db", port=port)  # back, same address
        wait_for(browser, '.sync[data-online="yes"][data-waiting="0"][data-files="0"]', reload=True)
        shot(browser, "07-synced", 360)

        office_log_in(browser, central, f"/office/shipments/{cod['id']}")
        browser.set_window_size(1280, 900)
        proof = wait_for(browser, "#proof")
        assert "Wilhelmina Oosterhuis" in proof.text and "52.37310, 4.89220" in proof.text
        assert device_id in proof.text
        for css in ("#proof img.signature", "#proof img.photo"):
            image = browser.find_element(By.CSS_SELECTOR, css)
            WebDriverWait(browser, WAIT_S).until(
                lambda d, i=image: d.execute_script(
                    "return arguments[0].complete && arguments[0].naturalWidth", i
                )
            )
        size = browser.execute_script(
            "const i = document.querySelector('#proof img.photo');"
            "return [i.naturalWidth, i.naturalHeight]"
        )
        assert size == [32, 24]
        shot(browser, "08-office-proof", 1280)
    finally:
        stop_all(processes)
        stop_central(central)


def test_depot_desk_scans_grades_a_return_and_restocks(
    browser: WebDriver, central: Central, names: Names, tmp_path: Path
) -> None:
    from selenium.common.exceptions import WebDriverException
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support.select import Select
    from selenium.webdriver.support.ui import WebDriverWait

    from edge.store import EdgeStore

    from .server_fixtures import free_port

    sold_items = [{"sku": "SKU-A", "quantity": 2}, {"sku": "SKU-B", "quantity": 1}]
    sold = create_shipment(central, names, "desk-sold", cod_amount=1200, items=sold_items)
    inbound = create_shipment(central, names, "desk-inbound")
    asyncio.run(route_to_courier(central, names, tmp_path, [sold["id"]]))
    asyncio.run(deliver_on_handheld(central, names, tmp_path, sold["tracking_number"], cod=1200))
    _, merchant_token = central.enrol("merchant", merchant_id=names.merchant)
    items = [{"sku": "SKU-A", "quantity": 2}, {"sku": "SKU-B", "quantity": 1}]
    with central.api(merchant_token) as api:
        answer = api.post("/api/v1/returns", json={"shipment_id": sold["id"], "items": items})
    assert answer.status_code == 201, answer.text
    return_id = answer.json()["id"]

    device_id, token = central.enrol("depot", depot_id=names.depot)
    db = tmp_path / "desk.db"
    edge_cli(
        "enroll",
        "--db",
        str(db),
        "--device-id",
        device_id,
        "--role",
        "depot",
        "--depot",
        names.depot,
        "--upstream",
        central.url,
        "--token",
        token,
    )
    edge_cli("staff-pin", "--db", str(db), "--staff", "ana", "--pin", "1357")
    hh_id, hh_token = central.enrol("courier", depot_id=names.depot, courier_id=names.courier)
    edge_cli(
        "enroll-handheld",
        "--db",
        str(db),
        "--device-id",
        hh_id,
        "--courier",
        names.courier,
        "--token",
        hh_token,
    )
    pages = f"127.0.0.1:{free_port()}"
    relay = f"127.0.0.1:{free_port()}"
    args = ("edge", "depot", "--db", str(db), "--listen", relay, "--pages", pages)
    process = spawn(tmp_path / "desk.log", *args, "--interval", "0.3", "--retry-max", "0.5")
    url = f"http://{pages}"
    try:

        def login_form(d: WebDriver):  # type: ignore[no-untyped-def]
            d.get(url + "/login")
            return d.find_elements(By.ID, "staff")

        WebDriverWait(browser, WAIT_S, ignored_exceptions=(WebDriverException,)).until(login_form)
        browser.set_window_size(1280, 900)
        browser.find_element(By.ID, "staff").send_keys("ana")
        browser.find_element(By.ID, "pin").send_keys("9999")
        browser.find_element(By.CSS_SELECTOR, "#login button").click()
        wait_text(browser, "#pin-error", "wrong PIN")
        browser.find_element(By.ID, "pin").send_keys("1357")
        browser.find_element(By.CSS_SELECTOR, "#login button").click()

        wait_for(browser, "#code")
        wait_for(browser, '.sync[data-online="yes"]', reload=True)
        for expected in ("ok", "refused"):  # the second scan of the same parcel is refused
            code = wait_for(browser, "#code")
            code.send_keys(inbound["tracking_number"] + "\n")
            flash = wait_for(browser, f"#last-scan.{expected}")
        assert "already at the depot" in flash.text
        shot(browser, "09-desk-inbound", 1280)
        shot(browser, "09-desk-inbound", 360)
        browser.get(url + "/routes")
        planned = f'#plan [data-tracking="{inbound["tracking_number"]}"]'
        row = wait_for(browser, planned)
        for name, value in (("courier", names.courier), ("seq", "1")):
            field = row.find_element(By.NAME, name)
            field.clear()
            field.send_keys(value)
        row.find_element(By.TAG_NAME, "button").click()
        wait_text(browser, "#notice", "assigned to")
        wait_text(browser, f"{planned} .by", "ana, ")
        shot(browser, "12-desk-routes", 1280)
        shot(browser, "12-desk-routes", 360)

        browser.get(url + "/returns")
        wait_for(browser, f'[data-return="{return_id}"] a', reload=True).click()
        browser.find_element(By.ID, "receive-button").click()
        wait_text(browser, "#notice", "received")
        for n, (grade, disposition) in enumerate((("sellable", "restock"), ("damaged", "dispose"))):
            Select(browser.find_element(By.ID, f"grade_{n}")).select_by_value(grade)
            Select(browser.find_element(By.ID, f"disposition_{n}")).select_by_value(disposition)
        shot(browser, "10-desk-grading", 1280)
        browser.find_element(By.ID, "inspect-button").click()
        wait_text(browser, "#notice", "2 item(s) graded")
        form = browser.find_element(By.ID, "restock-SKU-A")
        quantity = form.find_element(By.NAME, "quantity")
        quantity.clear()
        quantity.send_keys("3")
        form.find_element(By.TAG_NAME, "button").click()
        wait_text(browser, "#restock_SKU-A-error", "2 unit(s) graded for restock are left")
        browser.find_element(By.CSS_SELECTOR, "#restock-SKU-A button").click()
        wait_text(browser, "#notice", "SKU-A: 1 restocked; 1 in stock here")
        assert (
            browser.find_element(By.CSS_SELECTOR, '#graded [data-sku="SKU-A"] .in-stock').text
            == "1"
        )
        assert not browser.find_elements(By.ID, "restock-SKU-B")
        shot(browser, "11-desk-restocked", 1280)
        shot(browser, "11-desk-restocked", 360)

        def merchant_stock(_: WebDriver) -> bool:
            with central.api(merchant_token) as api:
                rows = api.get("/api/v1/stock").json()
            return rows == [
                {
                    "merchant_id": names.merchant,
                    "depot_id": names.depot,
                    "sku": "SKU-A",
                    "quantity": 1,
                }
            ]

        WebDriverWait(browser, WAIT_S).until(merchant_stock)

        # the courier's handheld, syncing through this depot, hands the COD cash over
        via = tmp_path / "handheld-via-depot.db"
        asyncio.run(hand_over_via_depot(via, hh_id, hh_token, names, f"http://{relay}"))
        browser.get(url + "/cash")
        handover = wait_for(browser, "#handovers tr[data-handover]", reload=True)
        hid = handover.get_attribute("data-handover")
        browser.find_element(By.ID, f"count-{hid}").send_keys("11.50")
        browser.find_element(By.CSS_SELECTOR, f'[data-handover="{hid}"] button').click()
        wait_text(browser, "#notice", "discrepancy EUR -0.50")
        wait_text(browser, f'[data-handover="{hid}"] .by', "ana, ")
        amount = browser.find_element(By.ID, "deposit-amount")
        assert amount.get_attribute("value") == "11.50"
        amount.clear()
        amount.send_keys("20.00")
        browser.find_element(By.ID, "deposit-button").click()
        wait_text(browser, "#deposit-error", "only EUR 11.50 counted")
        amount = browser.find_element(By.ID, "deposit-amount")
        assert amount.get_attribute("aria-invalid") == "true"
        amount.clear()
        amount.send_keys("11.50")
        browser.find_element(By.ID, "deposit-batch").send_keys("SLIP-0007")
        browser.find_element(By.ID, "deposit-button").click()
        wait_text(browser, "#notice", "deposit SLIP-0007: EUR 11.50 to the bank")
        wait_text(browser, '[data-batch="SLIP-0007"] .by', "ana, ")
        assert browser.find_element(By.ID, "undeposited").text == "EUR 0.00"
        shot(browser, "13-desk-cash", 1280)
        shot(browser, "13-desk-cash", 360)

        browser.get(url + "/handhelds")
        health = wait_for(browser, f'#handhelds [data-device="{hh_id}"]', reload=True)
        assert names.courier in health.text and "OK" in health.text
        shot(browser, "14-desk-handhelds", 1280)
        shot(browser, "14-desk-handhelds", 360)
    finally:
        stop_all([process])

    async def actors() -> set[str]:
        async with await EdgeStore.open(db) as store:
            rows = await store.query(
                "SELECT type, actor FROM p_events WHERE doc_id IN (?, ?) AND device = ?",
                (return_id, inbound["id"], device_id),
            )
        assert {r[0] for r in rows} == {
            "received_at_depot",
            "reassigned",
            "received",
            "inspected",
            "restocked",
        }, rows
        return {r[1] for r in rows}

    assert asyncio.run(actors()) == {f"{device_id}/ana"}
