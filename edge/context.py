"""Who this node is and how a command writes: identity, HLC clock, one lock.

Every command runs ``async with ctx.lock`` around read, validate and commit,
so two commands of one process never decide on the same stale state; writes
from other processes are merged by :class:`edge.store.EdgeStore`.
"""

from __future__ import annotations

import asyncio
import copy
import time
from collections.abc import Callable, Iterable, Sequence
from datetime import datetime
from pathlib import Path
from typing import Any, Self

import msgspec

from protocol.commands import DocCommand
from protocol.errors import ProtocolError
from protocol.events import Stamp
from protocol.hlc import HybridClock, Timestamp
from protocol.ids import new_id
from protocol.permissions import Device
from protocol.vocab import Role
from sync import commit_commands
from sync.secret_file import read_secret, write_secret
from sync.store import meta_step

from .errors import NotEnrolled, WrongRole
from .store import EdgeStore

IDENTITY_KEY = "edge.identity"
CLOCK_KEY = "edge.hlc"


def wall_ms() -> int:
    """Physical time in milliseconds (ordering always goes through the HLC)."""
    return time.time_ns() // 1_000_000


class Identity(msgspec.Struct, frozen=True, forbid_unknown_fields=False):
    """The enrolled device this replica belongs to (same id/token as at central)."""

    device_id: str
    role: Role
    depot_id: str
    courier_id: str = ""
    upstream: str = ""
    token: str = ""
    cash_limit: int | None = None  # minor units of ``currency``; None: no limit
    currency: str = "EUR"

    @property
    def device(self) -> Device:
        """The device as the trust rules see it."""
        return Device(
            self.device_id, self.role, depot_id=self.depot_id, courier_id=self.courier_id or None
        )


def token_file(store: EdgeStore) -> Path:
    """Where the upstream token lives: beside the replica, 0600, never inside it (a
    copy of the replica file carries no credential). It must be sent upstream, so it
    is kept, not hashed."""
    return Path(f"{store.path}.token")


async def read_identity(store: EdgeStore) -> Identity | None:
    """The identity stored in the replica, if enrolled, with the token from its file.

    A token an older version kept in the replica is moved to the file."""
    raw = await store.meta(IDENTITY_KEY)
    if raw is None:
        return None
    identity = msgspec.json.decode(raw, type=Identity)
    if identity.token:
        await _store_identity(store, identity, scrub=True)
        return identity
    token = await asyncio.to_thread(read_secret, token_file(store))
    return msgspec.structs.replace(identity, token=token or "")


async def _store_identity(store: EdgeStore, identity: Identity, scrub: bool = False) -> None:
    """The identity in the replica without its token, the token in :func:`token_file`
    (``scrub``: overwrite the stored identity's bytes, which held a token)."""
    if identity.token:
        await asyncio.to_thread(write_secret, token_file(store), identity.token)
    tokenless = msgspec.json.encode(msgspec.structs.replace(identity, token="")).decode()
    await store.set_meta(IDENTITY_KEY, tokenless, scrub=scrub)


async def enroll(store: EdgeStore, identity: Identity) -> bool:
    """Store ``identity``; wipes the replica when it was another device or courier.

    Returns True when previous data was wiped.
    """
    previous = await read_identity(store)
    wiped = previous is not None and (
        previous.device_id,
        previous.role,
        previous.courier_id,
        previous.depot_id,
    ) != (identity.device_id, identity.role, identity.courier_id, identity.depot_id)
    if wiped:
        await store.forget_all()
        await store.rotate_client_id()
        token_file(store).unlink(missing_ok=True)  # the previous device's
    await _store_identity(store, identity)
    return wiped


def _parsed(hlc: str) -> Timestamp | None:
    try:
        return Timestamp.decode(hlc)
    except ProtocolError:
        return None


def _person(identity: Identity, actor: str | None) -> str:
    """Who the node's events name (what central accepts from the device, see
    :func:`protocol.contents.is_person_of`): a handheld's courier; on another
    node the device itself, or ``<device id>/<actor>`` for a named person at it."""
    if identity.courier_id:
        return identity.courier_id
    return f"{identity.device_id}/{actor}" if actor else identity.device_id


class EdgeContext:
    """What a command needs: the store, the identity, a clock and the command lock."""

    def __init__(
        self,
        store: EdgeStore,
        identity: Identity,
        *,
        wall: Callable[[], int] = wall_ms,
        actor: str | None = None,
    ):
        self.store = store
        self.identity = identity
        self.wall = wall
        self.actor = _person(identity, actor)
        self.lock = asyncio.Lock()
        self.on_commit: list[Callable[[], Any]] = []

    @classmethod
    async def open(cls, path: str | Path, **kwargs: Any) -> Self:
        """Open an enrolled replica; ``NotEnrolled`` if it has no identity."""
        store = await EdgeStore.open(path)
        identity = await read_identity(store)
        if identity is None:
            await store.close()
            raise NotEnrolled(f"{path} is not enrolled: run 'parcelsync edge enroll' first")
        return cls(store, identity, **kwargs)

    async def close(self) -> None:
        """Close the replica file."""
        await self.store.close()

    def acting_as(self, actor: str) -> EdgeContext:
        """This context recording ``actor`` on new events (same store, clock and lock),
        named as :func:`_person` names every node's people (``<device id>/<actor>`` at a
        depot), which is what central accepts."""
        other = copy.copy(self)
        other.actor = _person(self.identity, actor)
        return other

    @property
    def device_id(self) -> str:
        return self.identity.device_id

    def require(self, role: Role) -> None:
        """``WrongRole`` unless this node is enrolled as ``role``."""
        if self.identity.role != role:
            raise WrongRole(f"this is a {self.identity.role} node; the command needs a {role} node")

    def today(self) -> str:
        """The local working day, ``YYYY-MM-DD``."""
        return datetime.fromtimestamp(self.wall() / 1000).date().isoformat()

    def base(self, stamp: Timestamp) -> Stamp:
        """The common fields of a new event stamped ``stamp``."""
        return {
            "id": new_id(),
            "hlc": stamp.encode(),
            "device": self.device_id,
            "actor": self.actor,
        }

    async def clock(self, seen: Iterable[str] = ()) -> HybridClock:
        """The node's HLC, after observing the timestamps of ``seen`` events (one
        that does not parse, stored before central refused such clocks, is skipped)."""
        raw = await self.store.meta(CLOCK_KEY)
        last = Timestamp.decode(raw) if raw else None
        clock = HybridClock(self.device_id, self.wall, last)
        stamps = [stamp for stamp in map(_parsed, seen) if stamp is not None]
        if stamps:
            clock.observe(max(stamps))
        return clock

    async def commit(
        self, clock: HybridClock, commands: Sequence[tuple[str, DocCommand]]
    ) -> list[bytes]:
        """Write every command and the clock in ONE transaction (one trip, one commit)."""
        updates = await commit_commands(
            self.store,
            commands,
            device_id=self.device_id,
            also=[meta_step({CLOCK_KEY: clock.last.encode()})],
        )
        for callback in self.on_commit:
            callback()
        return updates
