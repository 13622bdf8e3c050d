"""``parcelsync bench --quick --json``: every benchmark runs and yields numbers."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest


@pytest.mark.slow
def test_every_benchmark_runs_and_produces_numbers() -> None:
    command = [sys.executable, "-m", "parcelsync_cli", "bench", "--quick", "--json"]
    done = subprocess.run(command, capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    result = json.loads(done.stdout)
    assert set(result["results"]) == {"sync", "server_ingest", "edge_bootstrap"}
    assert len(result["table"]) >= 8
    for bench, figure, value, _unit, baseline in result["table"]:
        assert isinstance(value, int | float) and value > 0, (bench, figure)
        assert baseline is None or baseline > 0, (bench, figure)
