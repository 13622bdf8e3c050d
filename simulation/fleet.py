"""The OS processes of ``parcelsync simulate --processes`` and the chaos done to them.

A :class:`Fleet` starts each node (``parcelsync server``, ``parcelsync edge
depot|handheld``) as its own process and can kill (SIGKILL), stop (SIGTERM)
and restart it with the same arguments; its watchdog fails the run when a
node exits that nobody stopped. :class:`ProcessChaos` draws, from one seeded
``random.Random``, which nodes (central, depot relays, handhelds) are
killed, which handhelds go offline, and when each depot's WAN link is cut.
"""

from __future__ import annotations

import asyncio
import os
import random
import subprocess
import sys
from collections import Counter
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from pathlib import Path

from .chaos import ChaosOptions
from .wan import WanLink

CHAOS_TICK_S = 0.5  # how often an online handheld may drop offline (--offline-rate per tick)


def spawn(log: Path, *args: str, env: dict[str, str] | None = None) -> subprocess.Popen[bytes]:
    """``parcelsync ARGS`` as its own process, its output appended to ``log``; ``env``
    adds variables (secrets go there, not in ``ARGS``, which ``ps`` shows)."""
    command = [sys.executable, "-m", "parcelsync_cli", *args]
    with log.open("ab") as out:
        return subprocess.Popen(
            command, stdout=out, stderr=subprocess.STDOUT, env=os.environ | (env or {})
        )


def stop_all(processes: list[subprocess.Popen[bytes]]) -> None:
    """SIGTERM every process, SIGKILL what does not stop within 15 s."""
    for process in processes:
        process.terminate()
    for process in processes:
        try:
            process.wait(15)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


class NodeDied(RuntimeError):
    """A node's process exited during the day without being stopped."""


@dataclass(slots=True)
class NodeProcess:
    args: tuple[str, ...]
    log: Path
    env: dict[str, str] = field(default_factory=dict)
    process: subprocess.Popen[bytes] | None = None
    lock: asyncio.Lock = field(default_factory=asyncio.Lock)


class Fleet:
    """Named node processes, each restartable with the arguments it was started with."""

    def __init__(self) -> None:
        self.nodes: dict[str, NodeProcess] = {}

    def start(
        self, name: str, log: Path, *args: str, env: dict[str, str] | None = None
    ) -> subprocess.Popen[bytes]:
        """``parcelsync ARGS`` as process ``name`` (with ``env`` added), its output
        appended to ``log``."""
        node = self.nodes.setdefault(name, NodeProcess(args, log, env or {}))
        node.process = spawn(node.log, *node.args, env=node.env)
        return node.process

    def process(self, name: str) -> subprocess.Popen[bytes]:
        process = self.nodes[name].process
        assert process is not None, f"{name} is down"
        return process

    async def interrupt(
        self,
        name: str,
        down_s: float,
        *,
        kill: bool,
        back: Callable[[], Awaitable[None]] | None = None,
    ) -> None:
        """SIGKILL (``kill``) or SIGTERM node ``name``, keep it down ``down_s``, restart it.

        ``back``, if given, waits until the restarted node answers; nobody
        interrupts the node again before it did.
        """
        node = self.nodes[name]
        async with node.lock:
            process, node.process = node.process, None
            assert process is not None
            if kill:
                process.kill()
            else:
                process.terminate()
            await asyncio.to_thread(process.wait)
            await asyncio.sleep(down_s)
            self.start(name, node.log)  # with the arguments it was first started with
            if back is not None:
                await back()

    async def watch(self) -> None:
        """Raise :class:`NodeDied` as soon as a running node's process exits."""
        while True:
            for name, node in self.nodes.items():
                process = node.process
                if process is not None and process.poll() is not None:
                    raise NodeDied(f"{name} exited with {process.returncode}: see {node.log}")
            await asyncio.sleep(0.25)

    def stop_all(self) -> None:
        """SIGTERM every running node, SIGKILL what does not stop within 15 s."""
        stop_all([n.process for n in self.nodes.values() if n.process is not None])


@dataclass(slots=True)
class ProcessChaos:
    """The chaos options that apply to processes: kills, offline handhelds, WAN outages."""

    options: ChaosOptions
    rng: random.Random
    fleet: Fleet
    handhelds: list[str]
    links: dict[str, WanLink]  # each depot relay's process name -> its link to central
    central_back: Callable[[], Awaitable[None]]  # waits until restarted central answers
    counts: Counter[str] = field(default_factory=Counter)
    killed: list[str] = field(default_factory=list)  # the processes SIGKILLed, in order

    async def run(self, day_over: asyncio.Event) -> None:
        """Every fault of the day; returns once each is over and every node is back."""
        async with asyncio.TaskGroup() as group:
            victims = ["central", *self.links, *self.handhelds]
            for _ in range(self.options.kill):
                group.create_task(self._kill(self.rng.choice(victims), self.rng.uniform(0.2, 3.0)))
            if self.options.wan_outage:
                for link in self.links.values():
                    group.create_task(self._wan_outage(link, self.rng.uniform(0.2, 1.5)))
            if self.options.offline_rate:
                for name in self.handhelds:
                    group.create_task(self._offline(name, day_over))

    async def _kill(self, name: str, after_s: float) -> None:
        """SIGKILL node ``name`` after ``after_s``, restart it a moment later."""
        await asyncio.sleep(after_s)
        back = self.central_back if name == "central" else None
        await self.fleet.interrupt(name, self.rng.uniform(0.2, 1.0), kill=True, back=back)
        self.killed.append(name)

    async def _wan_outage(self, link: WanLink, after_s: float) -> None:
        """The depot's link to central is cut for ``--wan-outage`` seconds (its LAN stays up)."""
        await asyncio.sleep(after_s)
        link.cut()
        await asyncio.sleep(float(self.options.wan_outage))
        link.restore()
        self.counts["wan_outages"] += 1

    async def _offline(self, name: str, day_over: asyncio.Event) -> None:
        """Each tick of the courier's day, the handheld drops offline with ``offline_rate``."""
        while not day_over.is_set():
            await asyncio.sleep(CHAOS_TICK_S)
            if self.rng.random() < self.options.offline_rate:
                await self.fleet.interrupt(name, self.rng.uniform(1.0, 3.0), kill=False)
                self.counts["offline_stretches"] += 1

    def stats(self) -> dict[str, object]:
        """Faults done, by kind, and which processes were killed."""
        counted = {k: self.counts[k] for k in ("wan_outages", "offline_stretches")}
        return {"kills": len(self.killed)} | counted | {"killed": self.killed}
