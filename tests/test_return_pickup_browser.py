"""A reverse pickup on the courier's handheld, in a real headless Chromium, against real
processes: central, and ``parcelsync edge handheld --pages``.

The merchant asks for a return of a delivered parcel, the depot puts it on the
courier's route (``parcelsync edge assign-return``), the handheld shows it under
today's stops; the courier opens it, sees what to collect, draws the signature of
who handed it over, attaches a photo and records the pickup; central then has the
return picked up with that proof. Screenshots go to ``$EDGE_SHOTS``.
"""

from __future__ import annotations

import asyncio
import subprocess
from pathlib import Path
from typing import TYPE_CHECKING

import pytest

from simulation.fleet import spawn, stop_all

from .browser.chromium import WAIT_S
from .edge_pages_helpers import PIN, png
from .return_helpers import sold_and_delivered
from .test_edge_pages_browser import (
    browser,
    chromium_once,
    draw_signature,
    edge_cli,
    shot,
    wait_for,
    wait_text,
)

if TYPE_CHECKING:
    from selenium.webdriver.remote.webdriver import WebDriver

    from .server_fixtures import Central, Names

pytest_plugins = ["tests.server_fixtures"]
pytestmark = pytest.mark.slow
__all__ = [
    "browser",
    "chromium_once",
]  # the fixtures, shared with the handheld's other browser test


def enrolled(central: Central, names: Names, db: Path, role: str) -> str:
    """``parcelsync edge enroll`` of a new device of ``role``; its device id."""
    keys = {"depot_id": names.depot} | ({"courier_id": names.courier} if role == "courier" else {})
    device_id, token = central.enrol(role, **keys)
    args = ["--db", str(db), "--device-id", device_id, "--role", role, "--depot", names.depot]
    if role == "courier":
        args += ["--courier", names.courier]
    edge_cli("enroll", *args, "--upstream", central.url, "--token", token)
    return device_id


def test_the_courier_picks_up_a_return_on_the_handheld(
    browser: WebDriver, central: Central, names: Names, tmp_path: Path
) -> None:
    from selenium.common.exceptions import WebDriverException
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support.ui import WebDriverWait

    from .server_fixtures import free_port  # a plugin: import late

    _, token = central.enrol("merchant", merchant_id=names.merchant)
    shipment_id = asyncio.run(sold_and_delivered(central, names, tmp_path, token, "BR-1"))
    with central.api(token) as api:
        body = {"shipment_id": shipment_id, "items": [{"sku": "SKU-A", "quantity": 2}]}
        made = api.post("/api/v1/returns", json=body)
    assert made.status_code == 201, made.text
    return_id = made.json()["id"]

    desk = tmp_path / "desk.db"
    enrolled(central, names, desk, "depot")
    edge_cli("sync", "--db", str(desk))
    day = central.today().isoformat()
    edge_cli("assign-return", "--db", str(desk), return_id, "--courier", names.courier,
             "--day", day, "--seq", "5")  # fmt: skip
    edge_cli("sync", "--db", str(desk))

    db = tmp_path / "handheld.db"
    enrolled(central, names, db, "courier")
    pages = f"127.0.0.1:{free_port()}"
    args = ("edge", "handheld", "--db", str(db), "--pages", pages)
    processes: list[subprocess.Popen[bytes]] = [
        spawn(tmp_path / "handheld.log", *args, "--interval", "0.3", "--retry-max", "0.5")
    ]
    url = f"http://{pages}"
    try:

        def pin_pad(d: WebDriver):  # type: ignore[no-untyped-def]
            d.get(url + "/login")
            return d.find_elements(By.ID, "pin")

        WebDriverWait(browser, WAIT_S, ignored_exceptions=(WebDriverException,)).until(pin_pad)
        browser.set_window_size(360, 800)
        browser.find_element(By.ID, "pin").send_keys(PIN)
        browser.find_element(By.ID, "pin2").send_keys(PIN)
        browser.find_element(By.CSS_SELECTOR, "#login button").click()
        stop = wait_for(browser, f'#pickups [data-return="{return_id}"]', reload=True)
        assert "Ilinca Popescu" in stop.text and "pick up 2 unit(s)" in stop.text
        assert "Strada Lipscani 12" in stop.text
        shot(browser, "20-route-with-pickup", 360)
        stop.find_element(By.TAG_NAME, "a").click()

        assert wait_text(browser, "#pickup-status", "to pick up") == "to pick up"
        assert browser.find_element(By.ID, "items").text == "2 \N{MULTIPLICATION SIGN} SKU-A"
        browser.execute_cdp_cmd(
            "Browser.grantPermissions", {"origin": url, "permissions": ["geolocation"]}
        )
        browser.execute_cdp_cmd(
            "Emulation.setGeolocationOverride",
            {"latitude": 44.4325, "longitude": 26.1039, "accuracy": 10},
        )
        browser.refresh()
        WebDriverWait(browser, WAIT_S).until(
            lambda d: "recorded" in d.find_element(By.ID, "where").text
        )
        browser.find_element(By.ID, "handed_by").send_keys("Ilinca Popescu")
        draw_signature(browser)
        photo = tmp_path / "parcel.png"
        photo.write_bytes(png(24, 16, shade=90))
        browser.find_element(By.ID, "photo").send_keys(str(photo))
        shot(browser, "21-pickup-form", 360)
        browser.find_element(By.ID, "pickup-button").click()
        wait_text(browser, "#notice", "picked up from Ilinca Popescu")
        assert browser.find_element(By.ID, "picked-up").is_displayed()
        assert browser.find_element(By.ID, "pickup-status").text == "picked up"
        shot(browser, "22-picked-up", 360)
        shot(browser, "22-picked-up", 1280)

        def at_central(_: WebDriver) -> bool:
            with central.api(token) as api:
                return bool(api.get(f"/api/v1/returns/{return_id}").json()["status"] == "picked_up")

        WebDriverWait(browser, WAIT_S).until(at_central)
        wait_for(browser, '.sync[data-waiting="0"][data-files="0"]', reload=True)
    finally:
        stop_all(processes)
