"""Device health as a node stores it: reports in ``meta`` (key ``health.<device id>``),
last seen in ``devices``, its own counts from the outbox, quarantine and cursors."""

from __future__ import annotations

from collections.abc import Sequence

import msgspec

from ._sqlite import Database, Step, run_in_one_trip

HEALTH_KEY = "health."
# Joins each device row ``d`` to its stored health record, ``m.value`` (NULL: none).
_HEALTH_JOIN = f"LEFT JOIN meta m ON m.key = '{HEALTH_KEY}' || d.device_id"
# One round trip: this node's outbox, quarantine and last pull, and (a depot) the
# courier devices it heard from with their latest stored report.
# (coalesce: over no rows PostgreSQL's json_agg is NULL, SQLite's json_group_array "[]")
_OWN = (
    "SELECT (SELECT count(*) FROM outbox), (SELECT min(created_at) FROM outbox), "
    "(SELECT count(*) FROM quarantine), "
    "(SELECT synced_at FROM cursors WHERE upstream = ?), "
    "(SELECT coalesce(json_group_array(json_array(d.device_id, d.last_seen_at, m.value)), "
    f"'[]') FROM devices d {_HEALTH_JOIN} "
    "WHERE d.role = 'courier' AND d.revoked_at IS NULL AND d.last_seen_at IS NOT NULL)"
)
# Devices by id as enrolled here, when last seen here and their stored report.
_HEALTH_OF = (
    "SELECT d.device_id, d.role, d.depot_id, d.last_seen_at, m.value "
    f"FROM devices d {_HEALTH_JOIN} "
    "WHERE d.revoked_at IS NULL AND d.device_id IN (SELECT value FROM json_each(?))"
)
# Every live device with its stored report and the quarantine entries held here for it.
_OVERVIEW = (
    "SELECT d.device_id, d.role, coalesce(d.depot_id, ''), coalesce(d.courier_id, ''), "
    "d.last_seen_at, m.value, coalesce(q.held, 0) FROM devices d "
    f"{_HEALTH_JOIN} "
    "LEFT JOIN (SELECT origin_device, count(*) AS held FROM quarantine "
    "GROUP BY origin_device) q ON q.origin_device = d.device_id "
    "WHERE d.revoked_at IS NULL ORDER BY d.device_id"
)
_KEEP = "INSERT INTO meta VALUES (?, ?) ON CONFLICT (key) DO UPDATE SET value = excluded.value"

OwnCounts = tuple[int, int | None, int, int | None, list[tuple[str, int, str | None]]]


class HealthStore(Database):
    """The health reports a node keeps and the counts it reports upstream."""

    async def own_health_counts(self, upstream: str) -> OwnCounts:
        """Outbox size and oldest entry, quarantine size, last pull from ``upstream``,
        and each live courier device heard from: ``(id, last seen, stored report)``."""
        async with self._lock:
            waiting, oldest, held, synced, couriers = (await self._all(_OWN, (upstream,)))[0]
        heard = [(str(d), int(seen), raw) for d, seen, raw in msgspec.json.decode(couriers)]
        return int(waiting), oldest, int(held), synced, heard

    async def health_of(
        self, device_ids: Sequence[str]
    ) -> list[tuple[str, str, str | None, int | None, str | None]]:
        """Live devices among ``device_ids``: id, role, depot, last seen, stored report."""
        ids = msgspec.json.encode(list(device_ids)).decode()
        async with self._lock:
            return [tuple(r) for r in await self._all(_HEALTH_OF, (ids,))]

    def health_steps(self, records: Sequence[tuple[str, str]]) -> list[Step]:
        """Steps storing ``(device id, encoded report)`` pairs, for a caller's transaction."""
        return [(_KEEP, [(HEALTH_KEY + device_id, raw) for device_id, raw in records])]

    async def keep_health(self, records: Sequence[tuple[str, str]]) -> None:
        """Store ``(device id, encoded report)`` pairs in one transaction."""
        async with self.transaction() as db:
            await run_in_one_trip(db, self.health_steps(records))

    async def device_overview(
        self,
    ) -> list[tuple[str, str, str, str, int | None, str | None, int]]:
        """Every live device: id, role, depot, courier, last seen, stored report, and
        how many quarantine entries are held here for it."""
        async with self._lock:
            return [tuple(r) for r in await self._all(_OVERVIEW)]
