"""The shipment page's follow-up forms in a real headless Chromium: head office answers
a parcel's hold with a new day, then marks it lost and found again.

Selenium drives Debian's ``chromium`` (see :mod:`tests.browser.chromium`).
"""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING

import pytest

from edge import commands as c
from protocol.vocab import Role

from .browser.chromium import WAIT_S, chromium, office_log_in
from .followup_helpers import day_after, edge_node
from .test_server_followups import create, routed

if TYPE_CHECKING:
    from selenium.webdriver.remote.webdriver import WebDriver

    from .server_fixtures import Central, Names

pytest_plugins = ["tests.server_fixtures"]


@pytest.fixture
def browser(tmp_path: Path) -> Iterator[WebDriver]:
    with chromium(tmp_path / "downloads") as driver:
        yield driver


async def _held(central: Central, names: Names, tmp_path: Path, sid: str) -> None:
    """The depot routes the parcel; the courier records that a new date was asked for."""
    async with (
        edge_node(central, names, tmp_path / "depot.db", Role.DEPOT) as depot,
        edge_node(central, names, tmp_path / "hh.db", Role.COURIER, names.courier) as hh,
    ):
        await routed(depot, sid, names.courier, central.today().isoformat())
        await hh.sync()
        await c.fail(hh.ctx, sid, "new_date_requested")
        await hh.sync()


def _submit(driver: WebDriver, form: str, **fields: str) -> None:
    """Fill ``fields`` of ``form.<class>`` (values set as a user's input would) and send it."""
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support.ui import WebDriverWait

    element = driver.find_element(By.CSS_SELECTOR, f"form.{form}")
    for name, value in fields.items():
        box = element.find_element(By.NAME, name)
        driver.execute_script("arguments[0].value = arguments[1]", box, value)
    element.find_element(By.CSS_SELECTOR, "button[type=submit]").click()
    WebDriverWait(driver, WAIT_S).until(
        lambda d: not d.find_elements(By.CSS_SELECTOR, f"form.{form}")
    )


def test_office_answers_a_hold_and_marks_lost_and_found_in_a_browser(
    browser: WebDriver, central: Central, names: Names, tmp_path: Path
) -> None:
    from selenium.webdriver.common.by import By

    _, token = central.enrol("merchant", merchant_id=names.merchant)
    sid = create(central, token, names, "B-1")["id"]
    asyncio.run(_held(central, names, tmp_path, sid))
    office_log_in(browser, central, f"/office/shipments/{sid}")
    new_day = day_after(central.today(), 3)
    _submit(browser, "decision", route_day=new_day, reason="recipient away until then")
    row = browser.find_element(By.CSS_SELECTOR, 'tr[data-event="sender_decision"]')
    assert new_day in row.text and "recipient away until then" in row.text
    facts = browser.find_element(By.ID, "info").text
    assert new_day in facts and "attempt_failed" in facts
    _submit(browser, "lost", liable="courier van", note="not in the van")
    assert "lost" in browser.find_element(By.ID, "info").text
    _submit(browser, "found", note="under the seat")
    found = browser.find_element(By.CSS_SELECTOR, 'tr[data-event="found"]').text
    assert "under the seat" in found and names.depot in found
    lost = browser.find_element(By.CSS_SELECTOR, 'tr[data-event="marked_lost"]').text
    assert "liable: courier van" in lost
