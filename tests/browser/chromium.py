"""Debian's headless Chromium driven by Selenium, for the browser tests.

``/usr/bin/chromedriver`` is given explicitly, so Selenium Manager never
downloads anything. Without Chromium the tests fail in CI (``CI=true``) and
skip locally, saying what to install.
"""

from __future__ import annotations

import os
import shutil
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING

import pytest

if TYPE_CHECKING:
    from selenium.webdriver.remote.webdriver import WebDriver

    from ..server_fixtures import Central

CHROMIUM, CHROMEDRIVER = "/usr/bin/chromium", "/usr/bin/chromedriver"
WAIT_S = 20


def require_browser() -> None:
    missing = [p for p in (CHROMIUM, CHROMEDRIVER) if not shutil.which(p)]
    if missing:
        reason = f"{', '.join(missing)} missing: apt-get install chromium chromium-driver"
        if os.environ.get("CI", "").lower() == "true":
            pytest.fail(reason)
        pytest.skip(reason)


@contextmanager
def chromium(downloads: Path) -> Iterator[WebDriver]:
    """Headless Chromium downloading into ``downloads`` (never the repo)."""
    require_browser()
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    options = webdriver.ChromeOptions()
    options.binary_location = CHROMIUM
    for flag in ("--headless=new", "--no-sandbox", "--disable-dev-shm-usage", "--disable-gpu"):
        options.add_argument(flag)
    downloads.mkdir(exist_ok=True)
    options.add_experimental_option(
        "prefs",
        {"download.default_directory": str(downloads), "download.prompt_for_download": False},
    )
    driver = webdriver.Chrome(options=options, service=Service(executable_path=CHROMEDRIVER))
    try:
        yield driver
    finally:
        driver.quit()


def office_log_in(driver: WebDriver, central: Central, page: str = "/office/") -> None:
    """Sign in to the office pages through the login form, landing on ``page``."""
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support import expected_conditions as ec
    from selenium.webdriver.support.ui import WebDriverWait

    driver.get(central.url + page)
    WebDriverWait(driver, WAIT_S).until(ec.url_contains("/office/login"))
    driver.find_element(By.ID, "token").send_keys(central.office_token)
    driver.find_element(By.CSS_SELECTOR, "form.login button").click()
    WebDriverWait(driver, WAIT_S).until(lambda d: "/office/login" not in d.current_url)
