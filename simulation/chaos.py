"""Chaos for the simulator: offline handhelds, WAN outages, bad links, killed nodes.

All of it is drawn from one seeded ``random.Random``, so a seed replays the
same schedule of faults (message ids and Yjs client ids still differ).
"""

from __future__ import annotations

import random
from dataclasses import dataclass, field

from simulation.network import Faults

from .world import TICK_MS, World


@dataclass(frozen=True, slots=True)
class ChaosOptions:
    offline_rate: float = 0.0  # chance per tick that an online handheld drops offline
    wan_outage: int = 0  # minutes each depot loses its link to central, once a day
    duplicate: float = 0.0  # chance a message is delivered twice
    cut: float = 0.0  # chance a request, or its answer, is lost
    reorder: bool = False  # shuffled sync order, random batch and page sizes
    kill: int = 0  # nodes killed (closed, reopened from file) per day

    @property
    def any(self) -> bool:
        return bool(self.offline_rate or self.wan_outage or self.duplicate or self.cut) or bool(
            self.reorder or self.kill
        )


@dataclass(slots=True)
class Chaos:
    options: ChaosOptions
    rng: random.Random
    offline_until: dict[str, int] = field(default_factory=dict)  # node -> tick back online
    wan_down: dict[str, range] = field(default_factory=dict)  # depot node -> ticks down
    kill_ticks: list[int] = field(default_factory=list)
    counts: dict[str, int] = field(
        default_factory=lambda: dict.fromkeys(("offline_stretches", "wan_outages", "kills"), 0)
    )
    ticks_down: int = 0  # length of today's WAN outages, in ticks
    syncs_failed: int = 0
    syncs: int = 0

    def plan_day(self) -> None:
        """Draw today's WAN outages and kill instants."""
        self.wan_down.clear()
        self.offline_until.clear()
        self.kill_ticks = sorted(self.rng.randint(1, 24) for _ in range(self.options.kill))
        self.ticks_down = self.options.wan_outage * 60_000 // TICK_MS

    async def before_tick(self, world: World, tick: int) -> None:
        """Toggle links and kill nodes scheduled for this tick."""
        if tick == 1:
            world.net.set_faults(
                Faults(self.options.cut / 2, self.options.cut / 2, self.options.duplicate)
            )
            if self.ticks_down:
                for name in world.depot_node.values():
                    start = self.rng.randint(1, 12)
                    self.wan_down[name] = range(start, start + self.ticks_down)
                    self.counts["wan_outages"] += 1
        for name, down in self.wan_down.items():
            self._link(world, name, tick not in down)
        for name in world.handheld_node.values():
            back = self.offline_until.get(name, 0)
            if tick >= back and self.rng.random() < self.options.offline_rate:
                self.offline_until[name] = tick + self.rng.randint(3, 12)
                self.counts["offline_stretches"] += 1
            self._link(world, name, tick >= self.offline_until.get(name, 0))
        while self.kill_ticks and self.kill_ticks[0] <= tick:
            self.kill_ticks.pop(0)
            victim = self.rng.choice(sorted(world.net.nodes))
            await world.kill(victim)
            self.counts["kills"] += 1

    @staticmethod
    def _link(world: World, name: str, online: bool) -> None:
        channel = world.net.nodes[name].channel
        assert channel is not None
        channel.online = online

    async def sync_round(self, world: World, tick: int) -> None:
        """Every edge with a reason to sync (see :mod:`simulation.wakes`) syncs once:
        handhelds, then depots (shuffled with ``reorder``)."""
        await world.wakes.publish()
        edges = [*world.handheld_node.values(), *world.depot_node.values()]
        names = [name for i, name in enumerate(edges) if world.wakes.wanted(name, tick, i)]
        if self.options.reorder:
            self.rng.shuffle(names)
        for name in names:
            node = world.net.nodes[name]
            if self.options.reorder and node.client is not None:
                node.client.batch = self.rng.randint(1, 25)
                node.client.page = self.rng.randint(1, 60)
            self.syncs += 1
            report = await world.net.sync(name)
            world.wakes.synced(name, report)
            if report is None:
                self.syncs_failed += 1

    def stats(self) -> dict[str, object]:
        """What chaos did, for the summary."""
        return {
            **self.counts,
            "syncs": self.syncs,
            "syncs_failed": self.syncs_failed,
            "options": {
                "offline_rate": self.options.offline_rate,
                "wan_outage_minutes": self.options.wan_outage,
                "duplicate": self.options.duplicate,
                "cut": self.options.cut,
                "reorder": self.options.reorder,
                "kill": self.options.kill,
            },
        }
