"""Device registry: enrolment, hashed tokens, revocation.

Tokens are shown once at enrolment and stored as SHA-256 hashes (they are
random, 192 bits: no salt or slow hash needed); a revoked device is refused on
its next request, and central closes the sockets it has open
(``server.core.Central.disconnect``).
"""

from __future__ import annotations

import hashlib
import secrets
import sqlite3
from collections.abc import Collection

from protocol.permissions import Device
from protocol.vocab import Role

from ._records import now_ms
from ._sqlite import Database
from .faults import storage_fault


def token_hash(token: str) -> str:
    """The stored form of a token."""
    return hashlib.sha256(token.encode()).hexdigest()


def _device(row: tuple[object, ...]) -> Device:
    return Device(
        id=str(row[0]),
        role=Role(str(row[1])),
        depot_id=row[2] or None,  # type: ignore[arg-type]
        courier_id=row[3] or None,  # type: ignore[arg-type]
        merchant_id=row[4] or None,  # type: ignore[arg-type]
    )


_COLUMNS = "device_id, role, depot_id, courier_id, merchant_id"
SEEN_EVERY_MS = 10_000  # last seen is kept to this; device health counts in hours


class DeviceRegistry(Database):
    """Enrolled devices of this node (central, or a depot for its handhelds)."""

    async def enroll(self, device: Device, label: str = "", token: str | None = None) -> str:
        """Register (or re-enrol) ``device``; returns its new token, shown once."""
        token = token or secrets.token_urlsafe(24)
        async with self.transaction() as db:
            await db.execute(
                "INSERT OR REPLACE INTO devices (device_id, role, depot_id, courier_id, "
                "merchant_id, token_sha256, label, created_at) VALUES (?,?,?,?,?,?,?,?)",
                (
                    device.id,
                    device.role.value,
                    device.depot_id,
                    device.courier_id,
                    device.merchant_id,
                    token_hash(token),
                    label,
                    now_ms(),
                ),
            )
        return token

    async def authenticate(self, token: str) -> Device | None:
        """The live device holding ``token``, or ``None`` (unknown or revoked).

        Marks it seen: ``last_seen_at`` is rewritten when it is ``SEEN_EVERY_MS``
        old, so most requests read one row (on the reading connection, beside
        any commit) and commit nothing."""
        now = now_ms()
        rows = await self._read(
            f"SELECT {_COLUMNS}, last_seen_at FROM devices "
            "WHERE token_sha256 = ? AND revoked_at IS NULL",
            (token_hash(token),),
        )
        if not rows:
            return None
        row = rows[0]
        if row[5] is None or now - row[5] >= SEEN_EVERY_MS:
            await self._mark_seen(row[0], now)
        return _device(tuple(row))

    async def _mark_seen(self, device_id: str, now: int) -> None:
        """Record that ``device_id`` was seen; best effort: a file that cannot be
        written (see :func:`.faults.storage_fault`) still lets the device read."""
        try:
            async with self.transaction() as db:
                await db.execute(
                    "UPDATE devices SET last_seen_at = max(coalesce(last_seen_at, 0), ?) "
                    "WHERE device_id = ?",
                    (now, device_id),
                )
        except sqlite3.Error as exc:
            if storage_fault(exc) is None:
                raise

    async def device(self, device_id: str) -> Device | None:
        """An enrolled, not revoked device by id."""
        rows = await self._read(
            f"SELECT {_COLUMNS} FROM devices WHERE device_id = ? AND revoked_at IS NULL",
            (device_id,),
        )
        return _device(tuple(rows[0])) if rows else None

    async def revoke(self, device_id: str) -> bool:
        """Revoke a device (and drop the resets it will never pull); True if it was live."""
        async with self.transaction() as db:
            cur = await db.execute(
                "UPDATE devices SET revoked_at = ? WHERE device_id = ? AND revoked_at IS NULL",
                (now_ms(), device_id),
            )
            await db.execute("DELETE FROM device_resets WHERE device_id = ?", (device_id,))
            return bool(cur.rowcount)

    async def courier_depots(self, courier_ids: Collection[str]) -> dict[str, frozenset[str]]:
        """Courier id -> the depots of its live enrolled devices (absent: none)."""
        ids = sorted(courier_ids)
        found: dict[str, set[str]] = {}
        for start in range(0, len(ids), 500):
            chunk = ids[start : start + 500]
            async with self._lock:
                rows = await self._all(
                    "SELECT courier_id, depot_id FROM devices WHERE revoked_at IS NULL "
                    f"AND role = 'courier' AND courier_id IN ({','.join('?' * len(chunk))})",
                    chunk,
                )
            for courier_id, depot_id in rows:
                found.setdefault(courier_id, set()).add(depot_id or "")
        return {c: frozenset(d) for c, d in found.items()}

    async def courier_home_depot(self, courier_id: str) -> str:
        """The depot of the courier's first enrolled device with one ("": none)."""
        rows = await self._read(
            "SELECT depot_id FROM devices WHERE courier_id = ? AND depot_id IS NOT NULL "
            "ORDER BY device_id LIMIT 1",
            (courier_id,),
        )
        return str(rows[0][0]) if rows else ""

    async def devices(self) -> list[tuple[Device, str, int | None, int | None]]:
        """Every device with its label, last-seen and revoked-at times."""
        async with self._lock:
            rows = await self._all(
                f"SELECT {_COLUMNS}, label, last_seen_at, revoked_at "
                "FROM devices ORDER BY device_id"
            )
        return [(_device(tuple(r)), r[5], r[6], r[7]) for r in rows]
