"""The dashboard in a real headless Chromium: login, live update, CSV, tracking page.

Selenium drives Debian's ``chromium`` (see :mod:`tests.browser.chromium`).
"""

from __future__ import annotations

import asyncio
import csv
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING

import pytest

from .browser.chromium import WAIT_S, chromium, office_log_in
from .browser.world import PERSONAL, create_shipment, deliver_on_handheld, route_to_courier

if TYPE_CHECKING:
    from selenium.webdriver.remote.webdriver import WebDriver

    from .server_fixtures import Central, Names

pytest_plugins = ["tests.server_fixtures"]


@pytest.fixture
def browser(tmp_path: Path) -> Iterator[WebDriver]:
    with chromium(tmp_path / "downloads") as driver:
        yield driver


def _figure(driver: WebDriver, name: str) -> int:
    from selenium.webdriver.common.by import By

    text = driver.find_element(By.CSS_SELECTOR, f'[data-name="{name}"] .value').text
    return int(text.replace(",", ""))


def _log_in(driver: WebDriver, central: Central) -> None:
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support import expected_conditions as ec
    from selenium.webdriver.support.ui import WebDriverWait

    office_log_in(driver, central)
    WebDriverWait(driver, WAIT_S).until(ec.presence_of_element_located((By.ID, "figures")))


def test_dashboard_updates_live_exports_csv_and_tracks(
    browser: WebDriver, central: Central, names: Names, tmp_path: Path
):
    from selenium.common.exceptions import NoSuchElementException, StaleElementReferenceException
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support.ui import WebDriverWait

    swapping = (NoSuchElementException, StaleElementReferenceException)  # during a swap
    shipment = create_shipment(central, names, "browser-1", cod_amount=1575)
    tracking = shipment["tracking_number"]
    asyncio.run(route_to_courier(central, names, tmp_path, [shipment["id"]]))
    _log_in(browser, central)
    WebDriverWait(browser, WAIT_S).until(
        lambda d: d.execute_script("return document.getElementById('live') !== null")
    )
    browser.execute_script("window.loadedOnce = true")  # gone if the page reloads
    delivered = _figure(browser, "delivered")

    asyncio.run(deliver_on_handheld(central, names, tmp_path, tracking, cod=1575))
    WebDriverWait(browser, WAIT_S, ignored_exceptions=swapping).until(
        lambda d: _figure(d, "delivered") == delivered + 1
    )
    assert browser.execute_script("return window.loadedOnce") is True

    browser.get(f"{central.url}/office/tables/shipments?merchant={names.merchant}")
    browser.find_element(By.ID, "csv").click()
    target = tmp_path / "downloads" / f"shipments-merchant-{names.merchant}.csv"
    WebDriverWait(browser, WAIT_S).until(lambda _: target.exists())
    with target.open(newline="") as f:
        rows = list(csv.DictReader(f))
    assert [(r["Tracking"], r["Status"], r["Status code"], r["COD"]) for r in rows] == [
        (tracking, "Delivered", "delivered", "15.75")
    ]

    link = f'a[href="/office/shipments/{shipment["id"]}"]'
    browser.find_element(By.CSS_SELECTOR, link).click()
    WebDriverWait(browser, WAIT_S).until(lambda d: d.find_elements(By.ID, "ledger"))
    assert "EUR 15.75" in browser.find_element(By.ID, "ledger").text

    browser.get(f"{central.url}/track/{tracking}")
    body = browser.find_element(By.TAG_NAME, "body").text
    assert "Your parcel has been delivered." in body and "Amsterdam" in body
    for secret in [*PERSONAL.values(), "W. Oosterhuis", "15.75", names.courier]:
        assert secret not in browser.page_source
