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


needs_schemathesis = pytest.mark.skipif(
    not CLI.exists() and not shutil.which("schemathesis"), reason="no schemathesis"
)


def _schemathesis(central: Central, token: str, *options: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [
            str(CLI if CLI.exists() else "schemathesis"),
            "run",
            f"{central.url}/schema/openapi.json",
            "-H",
            f"Authorization: Bearer {token}",
            "--checks",
            "not_a_server_error",
            "--seed",
            "1",
            "--no-color",
            *options,
        ],
        capture_output=True,
        text=True,
        timeout=240,
        check=False,
    )


@needs_schemathesis
def test_merchant_api_never_answers_5xx(central: Central, names: Names):
    _, token = central.enrol("merchant", merchant_id=names.merchant)
    run = _schemathesis(central, token, "--max-examples", "10")
    assert run.returncode == 0, run.stdout[-3000:]


@needs_schemathesis
def test_stateful_sequences_never_answer_5xx(central: Central):
    """Chains of calls along the links schemathesis infers from the spec (a webhook
    registered, then rotated, its deliveries read, deleted; a shipment created,
    then read, cancelled): as head office, which reaches every operation."""
    run = _schemathesis(
        central, central.office_token, "--phases", "stateful", "--max-examples", "30"
    )
    assert run.returncode == 0, run.stdout[-3000:]
    assert "API Links:" in run.stdout and " 0 covered" not in run.stdout, run.stdout[-3000:]
