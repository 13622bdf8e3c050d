"""Schemathesis against central's OpenAPI document: no input gives a 5xx."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path
from typing import TYPE_CHECKING

import pytest

if TYPE_CHECKING:
    from .server_fixtures import Central, Names

pytest_plugins = ["tests.server_fixtures"]

CLI = Path(sys.executable).parent / "schemathesis"


@pytest.mark.skipif(not CLI.exists() and not shutil.which("schemathesis"), reason="no schemathesis")
def test_merchant_api_never_answers_5xx(central: Central, names: Names):
    _, token = central.enrol("merchant", merchant_id=names.merchant)
    run = subprocess.run(
        [
            str(CLI if CLI.exists() else "schemathesis"),
            "run",
            f"{central.url}/schema/openapi.json",
            "-H",
            f"Authorization: Bearer {token}",
            "--max-examples",
            "10",
            "--checks",
            "not_a_server_error",
            "--seed",
            "1",
            "--no-color",
        ],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert run.returncode == 0, run.stdout[-3000:]
