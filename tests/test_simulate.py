"""``parcelsync simulate``: a chaotic day must converge with every identity holding.

The small network (2 depots x 3 couriers x ~20 stops) runs through the CLI
with every chaos option on; hypothesis then drives a smaller network with
random seeds and chaos settings.
"""

from __future__ import annotations

import asyncio
import dataclasses
import json
import os
import sqlite3
import subprocess
import sys
import tempfile
from collections import Counter
from pathlib import Path

import pytest
from click.testing import CliRunner
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from fixtures import StepKind as K
from fixtures import build_dataset
from parcelsync_cli import main
from simulation.chaos import ChaosOptions
from simulation.cli import NATIONAL_CHAOS, national
from simulation.day import SimOptions, day_dataset, simulate
from simulation.proc_script import attempts, decision, returns_to_origin
from simulation.steps import COURIER_STEPS
from tests.pg import needs_pg, pg_url

CHAOS = [
    "--offline-rate=0.1",
    "--wan-outage=60",
    "--duplicate=0.1",
    "--cut=0.1",
    "--reorder",
    "--kill=2",
]


def assert_sound(summary: dict) -> None:
    assert summary["converged"] is True, summary["divergent"]
    assert summary["lost_updates"] == 0
    failed = [name for name, ok in summary["identities"].items() if not ok]
    assert not failed, failed
    cod = summary["cod"]
    assert cod["discrepancies_injected"] >= 1
    assert cod["discrepancies_detected"] == cod["discrepancies_injected"]
    assert summary["ok"] is True


def test_small_chaotic_day_converges_with_identities(tmp_path: Path) -> None:
    result = CliRunner().invoke(main, ["simulate", "--json", "--dir", str(tmp_path), *CHAOS])
    assert result.exit_code == 0, result.output
    summary = json.loads(result.stdout)
    assert_sound(summary)
    assert summary["replicas"] == 9  # central, 2 depot relays, 6 handhelds
    assert summary["documents"] > 100 and summary["updates"] >= summary["documents"]
    cod = summary["cod"]
    assert cod["collected_cash"] == cod["handed_over"] + cod["in_hand"]
    assert cod["remitted"] == cod["deposited"] == cod["counted"]
    assert summary["returns"]["graded"] == summary["returns"]["received"] > 0
    chaos = summary["chaos"]
    assert chaos["kills"] == 2 and chaos["syncs_failed"] > 0 and chaos["wan_outages"] == 2


chaos_settings = st.builds(
    ChaosOptions,
    offline_rate=st.sampled_from([0.0, 0.05, 0.2]),
    wan_outage=st.sampled_from([0, 30, 90]),
    duplicate=st.sampled_from([0.0, 0.2]),
    cut=st.sampled_from([0.0, 0.1, 0.3]),
    reorder=st.booleans(),
    kill=st.integers(0, 3),
)


@settings(max_examples=5, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(seed=st.integers(0, 2**16), chaos=chaos_settings)
def test_any_seed_and_chaos_converge(seed: int, chaos: ChaosOptions) -> None:
    options = SimOptions(depots=1, couriers=2, stops=10, seed=seed, chaos=chaos)
    with tempfile.TemporaryDirectory() as tmp:
        summary = asyncio.run(simulate(options, Path(tmp), lambda _: None))
    assert_sound(summary)


def _digest(directory: Path, hash_seed: str, seed: int) -> str:
    """``parcelsync simulate --json`` in its own process; returns its state digest."""
    command = [sys.executable, "-m", "parcelsync_cli", "simulate", "--json", "--dir"]
    command += [str(directory), "--depots=1", "--couriers=2", "--stops=8", f"--seed={seed}"]
    command += ["--cut=0.1", "--duplicate=0.1", "--reorder", "--kill=1"]
    env = {**os.environ, "PYTHONHASHSEED": hash_seed}
    done = subprocess.run(command, capture_output=True, text=True, timeout=120, env=env)
    assert done.returncode == 0, done.stderr[-2000:]
    return str(json.loads(done.stdout)["state_digest"])


def test_same_seed_and_options_give_the_same_state_digest(tmp_path: Path) -> None:
    # separate processes with different hash seeds: set order and random ids differ
    first = _digest(tmp_path / "a", "1", seed=3)
    assert _digest(tmp_path / "b", "2", seed=3) == first
    assert _digest(tmp_path / "c", "1", seed=4) != first


REPORT_KEYS = {"converged", "replicas", "documents", "updates", "state_digest", "cod"}
REPORT_KEYS |= {"returns", "conflicts", "lost_updates", "identities", "chaos", "timings", "ok"}


@pytest.mark.slow
def test_processes_two_depots_two_days_with_kills_and_wan_outages_converge(tmp_path: Path) -> None:
    # central, each depot relay and each handheld are OS processes on 127.0.0.1, started once
    # for both days; each day one of them is SIGKILLed and restarted, and each depot's WAN
    # link to central is cut for 2 s while its handhelds still reach it
    command = [sys.executable, "-m", "parcelsync_cli", "simulate", "--processes", "--json"]
    command += ["--depots=2", "--couriers=2", "--stops=8", "--days=2", "--kill=1"]
    command += ["--wan-outage=2", "--dir", str(tmp_path)]
    done = subprocess.run(command, capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr[-2000:]
    summary = json.loads(done.stdout)
    assert REPORT_KEYS <= summary.keys()
    assert_sound(summary)
    options = SimOptions(depots=2, couriers=2, stops=8)
    days = [day_dataset(options, 0), day_dataset(options, 1)]
    merchants = len(days[0].network.merchants)
    assert summary["processes"] == 7  # central, 2 depot relays, 4 handhelds
    assert summary["replicas"] == 7 + merchants  # and each merchant's replica
    assert summary["documents"] > sum(len(d.shipments) for d in days)
    assert summary["chaos"]["kills"] == 2 and summary["chaos"]["wan_outages"] == 4
    cod = summary["cod"]
    assert cod["collected_cash"] == cod["handed_over"] > 0 and cod["in_hand"] == 0
    assert cod["deposited"] == cod["counted"] != cod["handed_over"]  # a planted miscount
    # only what reached the bank is paid: the planted miscount keeps a line in transit
    ledger = summary["ledger"]
    assert cod["remitted"] == ledger["remitted_payable"] > 0 and ledger["remitted_only_banked"]
    assert ledger["balanced"]
    assert summary["returns"]["graded"] == summary["returns"]["received"] > 0
    assert summary["returns"]["restocked"] > 0
    # the senders' hold decisions and the depots' returns to origin went over the wire too
    scripted = Counter(step.kind for d in days for plan in d.plans for step in plan.outcome)
    with sqlite3.connect(tmp_path / "central.db") as db:
        done_by = dict(
            db.execute(
                "SELECT type, count(*) FROM p_events WHERE type IN "
                "('sender_decision', 'returned_to_origin') GROUP BY type"
            ).fetchall()
        )
    assert scripted[K.HOLD_DECISION] > 0 and scripted[K.RETURN_TO_ORIGIN] > 0
    assert done_by.get("sender_decision") == scripted[K.HOLD_DECISION]
    assert done_by.get("returned_to_origin") == scripted[K.RETURN_TO_ORIGIN]
    held = {p.name for p in tmp_path.glob("*.db")}
    assert {"central.db", "depot-AMS1.db", "depot-RTM1.db"} <= held
    assert len(held) == 7 + merchants


@pytest.mark.parametrize("option", ["--duplicate=0.1", "--cut=0.1", "--reorder"])
def test_processes_refuses_message_level_chaos(option: str, tmp_path: Path) -> None:
    result = CliRunner().invoke(main, ["simulate", "--processes", "--dir", str(tmp_path), option])
    assert result.exit_code == 2
    assert option.split("=")[0] in result.output and "--processes" in result.output
    assert not list(tmp_path.iterdir())  # refused before anything started


@settings(max_examples=20, deadline=None)
@given(seed=st.integers(0, 2**16))
def test_processes_split_each_plan_into_the_courier_attempts_and_the_others_steps(
    seed: int,
) -> None:
    data = build_dataset(
        seed, depots=1, couriers_per_depot=2, merchants=2, stops_per_courier=(8, 12)
    )
    for plan in data.plans:
        runs = attempts(plan)
        # the courier's attempts, one after another, are the plan's doorstep steps
        doorstep = tuple(s for s in plan.outcome if s.kind in COURIER_STEPS)
        assert tuple(s for a in runs for s in a.outcome) == doorstep
        assert all(a.outcome[-1].kind == K.FAIL for a in runs[:-1])
        assert all(s.kind != K.FAIL for a in runs for s in a.outcome[:-1])
        holds = [s for s in plan.outcome if s.kind == K.HOLD_DECISION]
        assert decision(plan) == (holds[0].decision if holds else None)
        assert returns_to_origin(plan) == (plan.final == "returned_to_origin")


@needs_pg
def test_central_on_postgres_converges_with_chaos_to_the_sqlite_digest(tmp_path: Path) -> None:
    """The same seeded chaotic day with central on PostgreSQL: every check holds and
    every replica ends byte for byte as with central on SQLite."""
    chaos = ChaosOptions(offline_rate=0.1, wan_outage=60, duplicate=0.1, cut=0.1, kill=2)
    options = SimOptions(depots=1, couriers=2, stops=8, seed=5, chaos=chaos)
    on_sqlite = asyncio.run(simulate(options, tmp_path, lambda _: None))
    on_pg = dataclasses.replace(options, central_db=pg_url("sim"))
    (tmp_path / "pg").mkdir()
    summary = asyncio.run(simulate(on_pg, tmp_path / "pg", lambda _: None))
    assert_sound(summary)
    assert summary["state_digest"] == on_sqlite["state_digest"]


def test_national_preset_sets_the_full_size_and_chaos_but_keeps_what_is_given() -> None:
    simulate_command = main.commands["simulate"]
    ctx = simulate_command.make_context("simulate", ["--national", "--kill", "0", "--days", "2"])
    options = dict(ctx.params)
    national(options, ctx)
    assert (options["depots"], options["couriers"], options["stops"]) == (40, 40, 115)
    assert options["kill"] == 0 and options["days"] == 2  # given: kept
    assert {k: options[k] for k in NATIONAL_CHAOS if k != "kill"} == {
        k: v for k, v in NATIONAL_CHAOS.items() if k != "kill"
    }
    refused = CliRunner().invoke(main, ["simulate", "--national", "--depots", "2"])
    assert refused.exit_code == 2 and "leave out --depots" in refused.output
