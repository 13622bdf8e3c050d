"""What ``parcelsync simulate`` prints: progress on stderr, then a summary or JSON."""

from __future__ import annotations

import asyncio
import json
import tempfile
from pathlib import Path
from typing import Any

import click

from .chaos import ChaosOptions
from .day import SimOptions, simulate
from .processes import run_processes

_CHAOS = ("offline_rate", "wan_outage", "duplicate", "cut", "reorder", "kill")


def run_simulate(options: dict[str, Any], directory: str | None, as_json: bool) -> bool:
    """Run the simulation with the CLI's options; True when every check passed."""
    if options.pop("national", False):
        national(options, click.get_current_context())
    processes = options.pop("processes", False)
    refused = [why for name, why in _NOT_IN_PROCESSES.items() if options[name]]
    if processes and refused:
        raise click.UsageError("not available with --processes: " + "; ".join(refused))
    chaos = ChaosOptions(**{k: options.pop(k) for k in _CHAOS})
    sim = SimOptions(chaos=chaos, **options)
    run = run_processes if processes else simulate

    def progress(message: str) -> None:
        click.echo(message, err=True)

    if directory:
        Path(directory).mkdir(parents=True, exist_ok=True)
        summary = asyncio.run(run(sim, Path(directory), progress))
    else:
        with tempfile.TemporaryDirectory(prefix="parcelsync-sim-") as tmp:
            summary = asyncio.run(run(sim, Path(tmp), progress))
    if as_json:
        click.echo(json.dumps(summary))
    else:
        click.echo(render(summary))
    return bool(summary["ok"])


# ``--national``: the fixtures' full size, and chaos on (each used unless given)
NATIONAL_SIZE = {"depots": 40, "couriers": 40, "stops": 115}
NATIONAL_CHAOS = {
    "offline_rate": 0.01,
    "wan_outage": 30,
    "duplicate": 0.01,
    "cut": 0.01,
    "reorder": True,
    "kill": 1,
}


def national(options: dict[str, Any], ctx: click.Context) -> None:
    """Apply the ``--national`` preset to ``options``: its size, and its chaos where
    the command line left an option at its default."""
    given = [
        f"--{name}"
        for name in NATIONAL_SIZE
        if ctx.get_parameter_source(name) != click.core.ParameterSource.DEFAULT
    ]
    if given:
        raise click.UsageError(f"--national sets the size: leave out {', '.join(given)}")
    options.update(NATIONAL_SIZE)
    for name, value in NATIONAL_CHAOS.items():
        if ctx.get_parameter_source(name) == click.core.ParameterSource.DEFAULT:
            options[name] = value


_NOT_IN_PROCESSES = {  # the options --processes cannot apply, each with the reason
    "central_db": "--db (central is a process of its own there, on its file)",
    "duplicate": "--duplicate (messages are real HTTP requests between processes)",
    "cut": "--cut (messages are real HTTP requests between processes)",
    "reorder": "--reorder (each process syncs in its own order)",
}


def render(s: dict[str, Any]) -> str:
    """A human summary of the report."""
    cod, ret = s["cod"], s["returns"]
    lines = [
        f"converged: {s['converged']}  replicas: {s['replicas']}  documents: {s['documents']}  "
        f"updates: {s['updates']}  lost updates: {s['lost_updates']}",
        f"state digest: {s['state_digest']}",
        f"COD: expected {cod['expected']}, collected {cod['collected']} "
        f"(cash {cod['collected_cash']}), handed over {cod['handed_over']}, "
        f"counted {cod['counted']}, deposited {cod['deposited']}, remitted {cod['remitted']}, "
        f"outstanding {cod['outstanding']}",
        f"discrepancies: {cod['discrepancies_detected']} detected / "
        f"{cod['discrepancies_injected']} injected;  conflicts: {s['conflicts']}",
        f"returns: {ret['requested']} requested, {ret['received']} received, "
        f"{ret['graded']} graded, {ret['restocked']} units restocked",
        f"chaos: {s['chaos']}",
        f"timings: {s['timings']}",
        "identities:",
        *(f"  [{'ok' if good else 'FAILED'}] {name}" for name, good in s["identities"].items()),
        "RESULT: "
        + (
            "ok"
            if s["ok"]
            else "FAILED" + (f" (diverged: {s['divergent']})" if s["divergent"] else "")
        ),
    ]
    return "\n".join(lines)
