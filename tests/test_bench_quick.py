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
    assert set(result["results"]) == {
        "sync",
        "server_ingest",
        "ingest_floor",
        "edge_bootstrap",
        "wire_bytes",
        "peer",
        "memory",
    }
    benches = {row[0] for row in result["table"]}
    assert benches == set(result["results"])
    assert len(result["table"]) >= 20
    for bench, figure, value, _unit, baseline in result["table"]:
        assert isinstance(value, int | float) and value > 0, (bench, figure)
        assert baseline is None or baseline > 0, (bench, figure)
    _check_new_benchmarks(result["results"])


def _check_new_benchmarks(results: dict) -> None:
    """Peer, memory and wire-bytes figures describe what was actually measured."""
    peer = results["peer"]
    assert peer["documents"] == 200
    for side in ("parcelsync", "pycrdt_websocket", "bare_pull"):
        # every document crossed the wire: at least its ~800 B creation update
        assert peer[side]["bytes"] > 200 * 500, side
    assert peer["x_bare_pull"] > 0 and len(peer["x_bare_pull_each"]) == peer["bare_pull"]["rounds"]
    floor = results["ingest_floor"]
    assert floor["updates"] == 2000
    assert set(floor["us_per_update"]) == {"crdt", "read", "rules", "project", "sqlite"}
    memory = results["memory"]
    assert [s["documents"] for s in memory["stages"]] == [500, 2000]
    assert all(s["peak_kib"] >= s["rss_kib"] > 0 for s in memory["stages"])
    for action in ("cod_collection", "return_grading"):
        wire = results["wire_bytes"][action]
        # the push body carries the Yjs updates plus their framing
        assert wire["single_push_bytes"] > wire["single_update_bytes"] > 0, action
        assert wire["per_action_in_batch_of_50"] > wire["update_bytes_per_action"] > 0, action
