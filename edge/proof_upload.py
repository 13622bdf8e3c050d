"""Upload proof files to the upstream in the background, never holding up the events.

After each sync round the uploader sends the files still waiting, oldest
first, one ``PUT /sync/proofs/{sha256}?doc_id=...`` each; a file larger than
one piece (``piece`` bytes, 256 KiB) goes in pieces (``Content-Range``), after
a ``HEAD`` that says how much of it the upstream already holds, so a cut
upload continues from there instead of starting over. A file is marked
uploaded on 200/201. An upstream that is unreachable, busy (5xx), does not
serve proofs (404: a depot relay) or has not seen the delivery yet (409)
keeps the file waiting for the next round; a file it refuses for good (the
bytes changed on disk, too large, not a picture: 413/415/422, or gone from
disk) is marked refused with the reason, so it is shown and never retried.
Every upload is idempotent: a cut mid-file only means sending it again.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable

import anyio
import httpx

from sync.proof_http import OFFSET, STORED
from sync.tasks import cancel_and_wait

from .errors import NodeStateError
from .store import EdgeStore, PendingFile

log = logging.getLogger("parcelsync.edge.proofs")

NEVER = {400, 403, 413, 415, 422}
PIECE = 256 * 1024


class ProofUploader:
    """Sends waiting proof files after each :meth:`wake` until stopped."""

    def __init__(
        self,
        store: EdgeStore,
        url: str,
        token: str,
        *,
        wall: Callable[[], int],
        batch: int = 20,
        piece: int = PIECE,
    ):
        self.store, self._wall, self._batch, self._piece = store, wall, batch, piece
        self.sent_bytes = 0  # file bytes sent so far (a resumed file counts only the rest)
        self._client = httpx.AsyncClient(
            base_url=url.rstrip("/"), headers={"authorization": f"Bearer {token}"}, timeout=60
        )
        self._wake = asyncio.Event()
        self._task: asyncio.Task[None] | None = None

    def wake(self) -> None:
        """Try the waiting files now (after a sync round)."""
        self._wake.set()

    async def start(self) -> None:
        if self._task is not None:
            raise NodeStateError("the proof uploader is already running")
        self._task = asyncio.create_task(self._run(), name="edge-proofs")

    async def stop(self) -> None:
        await cancel_and_wait(self._task)
        self._task = None
        await self._client.aclose()

    async def _run(self) -> None:
        while True:
            await self._wake.wait()
            self._wake.clear()
            try:
                await self.upload_waiting()
            except Exception:
                log.exception("proof upload round failed; trying again after the next sync")

    async def upload_waiting(self) -> int:
        """One pass over the waiting files; returns how many the upstream holds now."""
        done = 0
        for item in await self.store.pending_attachments(self._batch):
            if await self._upload(item):
                done += 1
        return done

    async def _upload(self, item: PendingFile) -> bool:
        try:
            data = await anyio.Path(item.path).read_bytes()
        except OSError as exc:
            await self.store.refuse_attachment(item.sha256, f"file missing: {exc.strerror}")
            return False
        try:
            answer = await self._send(item, data)
        except httpx.TransportError as exc:
            log.info("proof upload: upstream unreachable (%s); later", exc)
            return False
        if answer.status_code in (200, 201):
            await self.store.mark_uploaded(item.sha256, self._wall())
            return True
        if answer.status_code in NEVER:
            await self.store.refuse_attachment(item.sha256, _detail(answer))
        return False

    async def _send(self, item: PendingFile, data: bytes) -> httpx.Response:
        """The file whole, or piece after piece from where the upstream's copy ends;
        the last answer (201/200 once whole)."""
        url, params = f"/sync/proofs/{item.sha256}", {"doc_id": item.doc_id}
        if len(data) <= self._piece:
            answer = await self._client.put(url, params=params, content=data)
            self.sent_bytes += len(data) if answer.status_code == 201 else 0
            return answer
        answer = await self._client.head(url, params=params)
        if answer.status_code != 200 or answer.headers.get(STORED) == "complete":
            return answer
        offset = _offset(answer)
        for _ in range(len(data) // self._piece + 3):  # each turn sends a piece or re-reads
            end = min(offset + self._piece, len(data)) - 1
            headers = {"content-range": f"bytes {offset}-{end}/{len(data)}"}
            answer = await self._client.put(
                url, params=params, content=data[offset : end + 1], headers=headers
            )
            if answer.status_code in (201, 202):
                self.sent_bytes += end + 1 - offset
            if answer.status_code not in (202, 416):
                return answer
            offset = _offset(answer)
        return answer


def _offset(answer: httpx.Response) -> int:
    """The ``Upload-Offset`` the upstream reported (0 when absent or unreadable)."""
    value = answer.headers.get(OFFSET, "0")
    return int(value) if value.isdigit() else 0


def _detail(answer: httpx.Response) -> str:
    try:
        return str(answer.json().get("detail") or answer.status_code)
    except ValueError:
        return f"HTTP {answer.status_code}"
