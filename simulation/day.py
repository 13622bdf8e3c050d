"""``parcelsync simulate``: working days of a generated network, in one process.

Each day the fixtures generate the shipments and their script; head office
seeds them at central; then, tick by tick (five simulated minutes), every node
does the steps it is ready for and the edges with a reason to sync
(:mod:`simulation.wakes`) sync, under the chaos options:
handhelds offline for stretches, depots losing their WAN, lost, duplicated and
reordered messages, and nodes killed and reopened from their files. After the
last day the network syncs until quiet and :mod:`simulation.report` checks it.
"""

from __future__ import annotations

import datetime as dt
import random
import time
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from fixtures import DEFAULT_DAY, Dataset, build_dataset

from .cash import CourierCash, DepotCash, cash_round
from .chaos import Chaos, ChaosOptions
from .report import Expected, report
from .steps import COURIER_STEPS, Track, advance, node_of, ready
from .world import TICK_MS, SimClock, World

Progress = Callable[[str], None]
QUOTA = {"courier": 3, "depot": 40, "central": 100}  # steps per node per tick
MAX_TICKS = 400
PROGRESS_EVERY_S = 30.0  # a progress line at least this often (wall time) on long runs


class SimulationStuck(RuntimeError):
    """The day did not finish: a step waited for data that never arrived."""


@dataclass(frozen=True, slots=True)
class SimOptions:
    depots: int = 2
    couriers: int = 3
    stops: int = 20
    days: int = 1
    seed: int = 1
    chaos: ChaosOptions = field(default_factory=ChaosOptions)
    central_db: str = ""  # a postgresql:// URL for central's store (default: a file)


def day_dataset(options: SimOptions, index: int) -> Dataset:
    """The fixtures of day ``index`` (same network every day)."""
    day = dt.date.fromisoformat(DEFAULT_DAY) + dt.timedelta(days=index)
    spread = max(1, options.stops // 5)
    return build_dataset(
        options.seed,
        day=day,
        day_number=index,
        depots=options.depots,
        couriers_per_depot=options.couriers,
        merchants=max(2, 2 * options.depots),
        stops_per_courier=(max(1, options.stops - spread), options.stops + spread),
    )


async def run_day(world: World, data: Dataset, chaos: Chaos, progress: Progress) -> int:
    """Replay one day's script; returns the number of ticks it took."""
    world.clock.start_day(data.day)
    seeded = await world.seed(data.shipments, progress)
    progress(f"{data.day}: head office seeded {seeded} shipments at central")
    agenda = Agenda([Track(s, p) for s, p in zip(data.shipments, data.plans, strict=True)])
    total = len(agenda.pending)
    depots = [
        DepotCash(d.id, [CourierCash(h) for h in data.handovers if h.depot_id == d.id])
        for d in world.fixture.depots
    ]
    chaos.plan_day()
    started = shown = time.perf_counter()
    for tick in range(1, MAX_TICKS + 1):
        world.clock.advance()
        await chaos.before_tick(world, tick)
        await agenda.work(world)
        await cash_round(world, depots, agenda.busy())
        await chaos.sync_round(world, tick)
        now = time.perf_counter()
        if tick % 12 == 0 or now - shown >= PROGRESS_EVERY_S:
            shown = now
            minutes = tick * TICK_MS // 60_000
            progress(
                f"{data.day} {minutes // 60:2d}h{minutes % 60:02d} in: "
                f"{total - len(agenda.pending)}/{total} done, {chaos.syncs} syncs, "
                f"{now - started:.0f} s"
            )
        if not agenda.pending and all(d.done for d in depots):
            progress(f"{data.day}: every step done after {tick} ticks, {now - started:.0f} s")
            return tick
    stuck = [(t.spec.tracking_number, t.at, node_of(world, t)) for t in agenda.pending]
    raise SimulationStuck(f"{data.day}: {len(stuck)} shipments never finished, e.g. {stuck[:3]}")


@dataclass(slots=True)
class Agenda:
    """The day's unfinished tracks in script order, and each courier's doorstep steps left."""

    pending: list[Track]
    doorstep: Counter[str] = field(default_factory=Counter)

    def __post_init__(self) -> None:
        for track in self.pending:
            self.doorstep[track.spec.courier_id] += sum(
                s.kind in COURIER_STEPS for s in track.plan.outcome
            )

    def busy(self) -> set[str]:
        """Couriers with a doorstep step still to do on their route."""
        return {courier for courier, left in self.doorstep.items() if left}

    async def work(self, world: World) -> None:
        """Each node does up to its quota of ready steps, couriers in route order."""
        used: dict[str, int] = {}
        for track in self.pending:
            node = node_of(world, track)
            kind = (
                "central"
                if node == "central"
                else "depot"
                if node.startswith("depot")
                else "courier"
            )
            if used.get(node, 0) >= QUOTA[kind] or not await ready(world, track, node):
                continue
            used[node] = used.get(node, 0) + 1
            step = track.step
            await advance(world, track, node)
            if step is not None and step.kind in COURIER_STEPS:
                self.doorstep[track.spec.courier_id] -= 1
        self.pending = [t for t in self.pending if not t.done]


async def simulate(options: SimOptions, root: Path, progress: Progress) -> dict[str, Any]:
    """Run ``options.days`` days under ``root``; returns the summary (see report)."""
    started = time.perf_counter()
    rng = random.Random(f"parcelsync/simulate/{options.seed}")
    first = day_dataset(options, 0)
    world = World(root, first.network, SimClock(first.day), rng, options.central_db)
    timings: dict[str, float] = {}
    expected = Expected()
    try:
        await world.build(progress)
        timings["build_s"] = round(time.perf_counter() - started, 3)
        progress(
            f"network: central, {len(world.depot_node)} depot relays, "
            f"{len(world.handheld_node)} handhelds in {root} ({timings['build_s']:.0f} s)"
        )
        chaos = Chaos(options.chaos, rng)
        ticks = 0
        for index in range(options.days):
            data = first if index == 0 else day_dataset(options, index)
            expected.add(data)
            t0 = time.perf_counter()
            ticks += await run_day(world, data, chaos, progress)
            timings[f"day_{index + 1}_s"] = round(time.perf_counter() - t0, 3)
        progress("final sync: every replica until quiet")
        t0 = time.perf_counter()
        rounds = await world.net.converge()
        timings["converge_s"] = round(time.perf_counter() - t0, 3)
        progress(f"final sync: quiet after {rounds} round(s); checking every replica")
        t0 = time.perf_counter()
        summary = await report(world, expected)
        timings["check_s"] = round(time.perf_counter() - t0, 3)
    finally:
        await world.close()
    timings["total_s"] = round(time.perf_counter() - started, 3)
    summary["ticks"] = ticks
    summary["chaos"] = chaos.stats()
    summary["timings"] = timings
    return summary
