"""The time zone each depot's recipients live in, from central's configuration.

``DepotZones.parse("Europe/Sofia", "D-1=Europe/Bucharest,D-2=Europe/Chisinau")``:
a default zone and per-depot ones; unknown zone names are refused at startup.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError


def _zone(name: str, where: str) -> ZoneInfo:
    try:
        return ZoneInfo(name.strip())
    except (ZoneInfoNotFoundError, ValueError):
        raise ValueError(f"{where}: {name!r} is not a time zone (like Europe/Sofia)") from None


@dataclass(frozen=True, slots=True)
class DepotZones:
    default: ZoneInfo = field(default_factory=lambda: ZoneInfo("UTC"))
    by_depot: dict[str, ZoneInfo] = field(default_factory=dict)

    @classmethod
    def parse(cls, default: str = "UTC", depots: str = "") -> DepotZones:
        """From the ``--time-zone`` and ``--depot-zones DEPOT=ZONE,...`` values."""
        by_depot = {}
        for item in filter(None, (i.strip() for i in depots.split(","))):
            depot, sep, name = item.partition("=")
            if not sep or not depot.strip():
                raise ValueError(f"depot_zones: {item!r} is not DEPOT=ZONE")
            by_depot[depot.strip()] = _zone(name, f"depot_zones {depot.strip()}")
        return cls(_zone(default or "UTC", "time_zone"), by_depot)

    def of(self, depot_id: str) -> ZoneInfo:
        """The zone of ``depot_id`` (the default for a depot not named)."""
        return self.by_depot.get(depot_id, self.default)


UTC_EVERYWHERE = DepotZones()
