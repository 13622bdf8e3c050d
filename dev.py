#!/usr/bin/env python3
"""Set up a local virtualenv and run a parcelsync task. Needs only Python 3.11+.

    python3 dev.py demo       the main job: central + depot + handhelds on demo data
    python3 dev.py test       lint, type-check and run the whole test suite
    python3 dev.py simulate   one simulated working day with chaos
    python3 dev.py bench      the benchmark suite

Extra arguments after the task go to the underlying command.
"""

from __future__ import annotations

import subprocess
import sys
import venv
from pathlib import Path

ROOT = Path(__file__).resolve().parent
VENV = ROOT / ".venv"
BIN = VENV / ("Scripts" if sys.platform == "win32" else "bin")
STAMP = VENV / ".installed-stamp"


def ensure_venv() -> None:
    """Create .venv and install parcelsync with its test tools when pyproject changed."""
    if not (BIN / "python").exists():
        print("creating .venv ...", flush=True)
        venv.create(VENV, with_pip=True)
    pyproject = ROOT / "pyproject.toml"
    if STAMP.exists() and STAMP.stat().st_mtime >= pyproject.stat().st_mtime:
        return
    print("installing parcelsync and its dependencies into .venv ...", flush=True)
    pip = [str(BIN / "python"), "-m", "pip", "install", "-q"]
    subprocess.run([*pip, "--upgrade", "pip"], check=True)
    subprocess.run([*pip, "-e", f"{ROOT}[test]"], check=True, cwd=ROOT)
    STAMP.touch()


def call(argv: list[str]) -> int:
    """Run ``argv`` to its end and return its exit status.

    Ctrl-C at the terminal reaches the child too, which ends by itself (the
    demo stops its nodes and says so in one line); this waits for it instead
    of dying with a traceback and leaving it half stopped.
    """
    with subprocess.Popen(argv, cwd=ROOT) as child:
        while True:
            try:
                return child.wait()
            except KeyboardInterrupt:
                continue


def run(*command: str) -> None:
    """Run a command from .venv/bin; stop with its exit status if it fails."""
    status = call([str(BIN / command[0]), *command[1:]])
    if status != 0:
        sys.exit(status)


TASKS = {
    "demo": lambda extra: run("parcelsync", "demo", *extra),
    "simulate": lambda extra: run("parcelsync", "simulate", *extra),
    "bench": lambda extra: run("parcelsync", "bench", *extra),
    "test": lambda extra: (
        run("ruff", "check", "."),
        run("ruff", "format", "--check", "."),
        run(
            "mypy", "protocol", "sync", "server", "edge", "paper", "simulation", "bench", "fixtures"
        ),
        # one worker per core, each test file whole on one worker (its module fixtures once)
        run("pytest", "--numprocesses=auto", "--dist=loadfile", *extra),
    ),
}


def main() -> None:
    if len(sys.argv) < 2 or sys.argv[1] not in TASKS:
        print(__doc__)
        sys.exit(2)
    ensure_venv()
    TASKS[sys.argv[1]](sys.argv[2:])


if __name__ == "__main__":
    main()
