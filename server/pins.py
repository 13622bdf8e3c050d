"""Central re-checks the PIN of every delivery of a shipment that needs one.

A handheld checks the recipient's PIN against the scrypt digest in the
shipment's ``info.otp_digest`` and records the PIN it was given in the
``delivered`` event (``payload.otp``; spent once the parcel is delivered). A
tampered handheld could record a delivery with any PIN, or none, so after each
write :class:`PinChecker` looks at the deliveries logged since its cursor on
shipments that need a PIN, checks each (one scrypt, off the event loop) and,
when it does not match, appends a ``pin_mismatch`` event: the shipment fold
raises an open ``pin_mismatch`` conflict the office sees and resolves like any
other. Each delivery is checked once (``pin_checks``); the cursor is durable.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable
from typing import Any

import msgspec

from protocol.commands import DocCommand
from protocol.events import PinMismatch
from protocol.hlc import HybridClock
from protocol.ids import new_id
from protocol.info import ShipmentInfo
from protocol.pin import BadPinDigest, pin_matches
from protocol.vocab import DocType
from sync.documents import load, read_content
from sync.ingest import commit_commands
from sync.tasks import cancel_and_wait

from .store import CentralStore

log = logging.getLogger(__name__)

CURSOR_KEY = "pins.checked_seq"
ACTOR = "central"


def verdict(info: ShipmentInfo, payload: dict[str, Any]) -> str:
    """Why a delivery's recorded PIN does not do (``""``: it matches). One scrypt."""
    given = str(payload.get("otp") or "")
    if not given:
        return "the delivery recorded no PIN"
    try:
        return "" if pin_matches(given, info.otp_digest) else "the recorded PIN is wrong"
    except BadPinDigest as exc:
        return f"the shipment's PIN digest is unusable ({exc})"


class PinChecker:
    """Follows central's log; appends ``pin_mismatch`` for each delivery whose PIN fails."""

    def __init__(
        self,
        store: CentralStore,
        clock: HybridClock,
        notify: Callable[[int], Awaitable[None]],
        device_id: str,
    ):
        self.store, self.clock, self.notify, self.device_id = store, clock, notify, device_id
        self._lock = asyncio.Lock()
        self._wake = asyncio.Event()
        self._task: asyncio.Task[None] | None = None

    async def start(self) -> None:
        """Start the background task (after the current head on a file that never had a
        checker); a second start is an error."""
        if self._task is not None:
            raise RuntimeError("PinChecker.start() called twice")
        if await self.store.meta(CURSOR_KEY) is None:
            await self.store.set_meta(CURSOR_KEY, str(await self.store.head()))
        self._task = asyncio.create_task(self._run(), name="pin-checker")
        self._wake.set()  # what came in while central was down

    def wake(self) -> None:
        """Something was written: check soon (a push is not held up by a scrypt)."""
        self._wake.set()

    async def stop(self) -> None:
        """Cancel the task; what it had not checked is checked after a restart."""
        await cancel_and_wait(self._task)
        self._task = None

    async def _run(self) -> None:
        while True:
            await self._wake.wait()
            self._wake.clear()
            try:
                await self.follow(await self.store.head())
            except Exception:
                log.exception("pin check failed; retried on the next write")

    async def follow(self, head: int) -> int:
        """Check the deliveries logged up to ``head``; returns how many mismatched."""
        async with self._lock:
            after = int(await self.store.meta(CURSOR_KEY) or 0)
            if head <= after:
                return 0
            found = await self.store.unchecked_deliveries(after, head)
            infos = await self._pin_infos({doc_id for doc_id, _, _ in found})
            checks = [(d, e, p, infos[d]) for d, e, p in found if d in infos]
            reasons = await asyncio.to_thread(
                lambda: [verdict(info, msgspec.json.decode(p)) for _, _, p, info in checks]
            )
            events = [
                (doc_id, self._mismatch(event_id, reason))
                for (doc_id, event_id, _, _), reason in zip(checks, reasons, strict=True)
                if reason
            ]
            if events:
                commands = [
                    (d, DocCommand.build("pin_mismatch", "shipment", [e])) for d, e in events
                ]
                await commit_commands(self.store, commands, device_id=self.device_id, queue=False)
                for doc_id, event in events:
                    log.warning(
                        "pin: %s on shipment %s: %s",
                        event.payload.delivered_event_id,
                        doc_id,
                        event.payload.reason,
                    )
            checked = [(e, d, int(not r)) for (d, e, _, _), r in zip(checks, reasons, strict=True)]
            await self.store.record_pin_checks(checked, head, CURSOR_KEY)
        if events:
            await self.notify(await self.store.head())
        return len(events)

    async def _pin_infos(self, doc_ids: set[str]) -> dict[str, ShipmentInfo]:
        """The info of the shipments among ``doc_ids`` that need a PIN (by scrypt digest)."""
        stored = await self.store.load(doc_ids)
        infos: dict[str, ShipmentInfo] = {}
        for doc_id, doc in stored.items():
            if doc.doc_type != DocType.SHIPMENT:
                continue
            info = read_content(load(doc.state)).typed_info(DocType.SHIPMENT)
            if isinstance(info, ShipmentInfo) and info.otp_digest:
                infos[doc_id] = info
        return infos

    def _mismatch(self, delivered_id: str, reason: str) -> PinMismatch:
        return PinMismatch(
            id=new_id(),
            hlc=self.clock.now().encode(),
            device=self.device_id,
            actor=ACTOR,
            payload=PinMismatch.Body(delivered_event_id=delivered_id, reason=reason),
        )
