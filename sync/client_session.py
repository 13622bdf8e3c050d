"""The client side of sync: push the outbox, pull until caught up.

Resumable after a cut at any point: the outbox is cleared only for items the
upstream acknowledged, and the cursor is written in the same transaction as
the documents it covers. A rejected item is quarantined with its reason; the
document is then rebuilt from the upstream's state and the still-pending
commands of that document are replayed under a fresh Yjs client id. A pull
answer's resets (a relay's upstream refused an update of ours it had already
accepted, or one we may have pulled) take the same rebuild path, and its
refusals of our updates are quarantined here too (:mod:`sync._resets`).
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass

import msgspec

from protocol.commands import DocCommand, command_decoder
from protocol.wire import DocReset, Hello, PullRequest, PushItem, PushRequest, Scope

from ._records import OutboxEntry, now_ms
from .anti_entropy import Repair, repair
from .channel import Channel
from .device_health import own_health
from .ingest import commit_commands, merge_incoming
from .ports import SyncStore

# Decides whether a pending command is still valid on the rebuilt document.
ReplayFilter = Callable[[str, DocCommand], Awaitable[bool]]


@dataclass(slots=True)
class SyncReport:
    pushed: int = 0
    rejected: int = 0
    pulled_docs: int = 0
    pages: int = 0
    evicted: int = 0
    restored: bool = False  # the upstream's file no longer held our cursor: check it
    repair: Repair | None = None  # the anti-entropy exchange, when the round made one


class SyncClient:
    """Syncs one replica with one upstream over a :class:`Channel`.

    ``heartbeat_ms``: how stale the stored time of the last sync (the cursor's
    ``synced_at``, reported in every Hello) may get before an idle pull writes
    it again; 0: every pull writes it.
    """

    def __init__(
        self,
        store: SyncStore,
        channel: Channel,
        *,
        device_id: str,
        upstream: str = "upstream",
        scopes: list[Scope] | None = None,
        batch: int = 200,
        page: int = 500,
        replay_filter: ReplayFilter | None = None,
        check_every: int = 0,
        heartbeat_ms: int = 0,
    ):
        self.store = store
        self.channel = channel
        self.device_id = device_id
        self.upstream = upstream
        self.scopes = scopes or []
        self.batch = batch
        self.page = page
        self._replay_filter = replay_filter
        self.check_every = check_every  # rounds between two anti-entropy checks (0: never)
        self._rounds = 0
        self.heartbeat_ms = heartbeat_ms
        self.cursor: int | None = None  # the upstream's cursor after the last pull page
        self._unrecorded_sync: int | None = None

    async def _hello(self) -> Hello:
        """Who we are, this replica's health and (a depot) its handhelds' latest reports."""
        health, relayed = await own_health(self.store, self.upstream)
        if self._unrecorded_sync is not None:  # an idle pull left the stored time older
            last = max(health.last_sync_ms or 0, self._unrecorded_sync)
            health = msgspec.structs.replace(health, last_sync_ms=last)
        return Hello(device_id=self.device_id, health=health, relayed=relayed)

    async def sync(self) -> SyncReport:
        """Push everything waiting, then pull until there is nothing more; on the
        first round, every ``check_every`` rounds and whenever the upstream's file
        turned out older than our cursor, give back what it lacks (:meth:`repair`)."""
        report = SyncReport()
        hello = await self._push(report)
        await self._pull(report, hello)
        due = self.check_every and self._rounds % self.check_every == 0
        if due or report.restored:
            report.repair = await self.repair()
        self._rounds += 1
        return report

    async def repair(self) -> Repair:
        """Anti-entropy with the upstream (see :mod:`.anti_entropy`)."""
        return await repair(self.store, self.channel, await self._hello(), self.scopes)

    async def push(self, report: SyncReport | None = None) -> SyncReport:
        """Send the outbox in batches until it is empty or only rejects remain."""
        report = report or SyncReport()
        await self._push(report)
        return report

    async def _push(self, report: SyncReport) -> Hello | None:
        """:meth:`push`; returns the last Hello made when nothing was sent after it
        (it still holds for the pull), else None."""
        while True:
            hello = await self._hello()
            if hello.health is not None and not hello.health.waiting:
                return hello
            entries = await self.store.outbox_pending(self.batch)
            if not entries:
                return hello
            request = PushRequest(
                hello=hello,
                items=[
                    # the command stays in the local outbox for replay; the wire
                    # carries only the update (half the bytes per event)
                    PushItem(e.doc_id, e.doc_type, e.update, origin_device=e.origin_device)
                    for e in entries
                ],
            )
            response = await self.channel.push(request)
            acked, rejected = [], []
            for entry, result in zip(entries, response.results, strict=True):
                if result.accepted:
                    acked.append(entry.id)
                else:
                    rejected.append((entry, result.code, result.message))
            await self._settle(acked, rejected)
            report.pushed += len(acked)
            report.rejected += len(rejected)
            if len(entries) < self.batch:
                # that was every sendable entry; one written since woke the next round
                return None

    async def _settle(self, acked: list[int], rejected: list[tuple[OutboxEntry, str, str]]) -> None:
        first_per_doc: dict[str, tuple[int, str, str]] = {}
        for entry, code, message in rejected:
            first_per_doc.setdefault(entry.doc_id, (entry.id, code, message))
        # settling asks for each refused document whole, in the same transaction
        await self.store.settle_outbox(acked, list(first_per_doc.values()))
        if first_per_doc:
            await self.store.rotate_client_id()

    async def pull(self, report: SyncReport | None = None) -> SyncReport:
        """Pull pages until ``has_more`` is false; apply each page atomically."""
        return await self._pull(report or SyncReport(), None)

    def _recorded_lately(self, synced_at: int | None, now: int) -> bool:
        return synced_at is not None and now - synced_at < self.heartbeat_ms

    async def _pull(self, report: SyncReport, hello: Hello | None) -> SyncReport:
        """:meth:`pull`, its first request saying ``hello`` when given.

        A page that changes nothing (no documents, none leaving, the cursor as
        stored) is not written while the stored sync time is younger than
        ``heartbeat_ms``: an idle round commits nothing.
        """
        state = await self.store.pull_state(self.upstream)
        cursor, replica, resync, reset_ack = (
            state.cursor,
            state.replica,
            state.resync,
            state.reset_ack,
        )
        start = stored_at = (cursor, replica)
        synced_at = state.synced_at
        snapshot_after = ""
        snapshot_seen: set[str] = set()
        was_snapshot = False
        while True:
            response = await self.channel.pull(
                PullRequest(
                    hello or await self._hello(),
                    cursor,
                    self.scopes,
                    self.page,
                    resync,
                    snapshot_after,
                    reset_ack,
                    replica,
                )
            )
            if response.snapshot and not snapshot_after and cursor and response.replica == replica:
                report.restored = True  # it answered a cursor of its own file with a snapshot
            hello = None
            if response.replica != replica:
                # another upstream file answered: it ignored our cursor and our
                # acknowledgement of the old file's resets (the answer is a snapshot)
                await self.store.forget_reset_ack(self.upstream)
                reset_ack, replica = 0, response.replica
            incoming = [*response.updates, *response.entering]
            stored = await self.store.load(u.doc_id for u in incoming)
            replace = frozenset(resync) & {u.doc_id for u in response.entering}
            writes = merge_incoming(
                stored,
                incoming,
                origin_device=self.upstream,
                replace=replace,
            )
            # A snapshot's cursor is kept only with its last page: persisted earlier, a cut
            # before the next page would resume from the log and skip the unsent documents.
            partial = response.snapshot and response.has_more
            saved = start if partial else (response.cursor, replica)
            last = not response.resets and not response.has_more
            # documents that left scope and whose outbox drained go with the last page
            evict = [*response.leaving, *(state.drained if last else [])]
            now = now_ms()
            if writes or evict or saved != stored_at or not self._recorded_lately(synced_at, now):
                await self.store.write(writes, cursor=(self.upstream, *saved), evict=evict)
                stored_at, synced_at, self._unrecorded_sync = saved, now, None
            else:
                self._unrecorded_sync = now
            answered = replace | (frozenset(resync) & set(response.leaving))
            if answered:
                await self._finish_resync(replace, answered)
                resync = [d for d in resync if d not in answered]
            report.pulled_docs += len(writes)
            report.evicted += len(response.leaving)
            report.pages += 1
            cursor = self.cursor = response.cursor
            if response.snapshot:
                was_snapshot = True
                snapshot_seen.update(u.doc_id for u in response.entering)
            snapshot_after = response.snapshot_after
            resets = response.resets
            if resets:
                # their documents are asked for whole in the next request, which also
                # acknowledges them
                resync = await self._take_resets(resets, resync)
                reset_ack = max(r.id for r in resets)
            elif not response.has_more:
                break
        if was_snapshot and not report.restored:
            # after a restore, what the upstream's snapshot lacks is ours to give
            # back (:meth:`repair`), not documents that left our scope
            await self._drop_unseen(snapshot_seen)
        return report

    async def _take_resets(self, resets: list[DocReset], resync: list[str]) -> list[str]:
        """Record the upstream's resets (its refusals of our updates are quarantined);
        returns the documents to ask for whole from now on."""
        await self.store.take_resets(self.upstream, resets)
        await self.store.rotate_client_id()
        return sorted({*resync, *(r.doc_id for r in resets)})

    async def _finish_resync(self, rebuilt: frozenset[str], answered: frozenset[str]) -> None:
        """Replay the held commands of rebuilt documents; quarantine those of departed ones."""
        for doc_id in answered - rebuilt:
            await self.store.drop_held(doc_id, ("left_scope", "the document left this scope"))
        for doc_id in rebuilt:
            held = await self.store.held_entries(doc_id)
            commands = [
                (doc_id, command_decoder.decode(e.command))
                for e in held
                if e.command and e.origin_device is None
            ]
            valid = [
                (d, c)
                for d, c in commands
                if self._replay_filter is None or await self._replay_filter(d, c)
            ]
            if valid:
                await commit_commands(
                    self.store, valid, device_id=self.device_id, replaying_held=True
                )
            else:
                await self.store.drop_held(doc_id, None)
        await self.store.clear_resync(list(answered))

    async def _drop_unseen(self, seen: set[str]) -> None:
        """After a full snapshot, documents it did not contain have left scope."""
        held = await self.store.document_ids()
        unsent = await self.store.docs_with_outbox()
        gone = [d for d in held if d not in seen and d not in unsent]
        if gone:
            await self.store.write([], evict=gone)
