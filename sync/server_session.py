"""Serving sync: validated push and scoped, paged pull, over any transport.

The same class serves central (to depots, handhelds and office) and a depot
edge (to its handhelds, with ``relay=True`` so accepted updates also queue for
central, attributed to the device that wrote them).
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable, Collection, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Protocol, TypeVar

import msgspec
from pycrdt import merge_updates

from protocol.cash_rules import entry_refusal
from protocol.contents import DEFAULT_MAX_SKEW_MS, Facts, check_contents, facts_needed
from protocol.events import CashCollected, Event
from protocol.ids import is_uuid
from protocol.info import CashBookInfo, ReturnInfo, ShipmentInfo
from protocol.lifecycle import fold_shipment
from protocol.permissions import Change, Device, check_change
from protocol.return_rules import requested_in, rma_refusal, units
from protocol.vocab import DocType, Role
from protocol.wire import (
    DocUpdate,
    ItemResult,
    PullRequest,
    PullResponse,
    PushItem,
    PushRequest,
    PushResponse,
    Scope,
    VectorsRequest,
    VectorsResponse,
)

from ._doc_cache import DEFAULT_CAPACITY, DocCache, LoadedDoc
from ._group_commit import GroupCommit
from ._records import DocHead, DocWrite, LogRow, OutboxEntry, ScopeKeys
from ._sqlite import Step
from ._tails import TAIL_FROM, due
from ._writes import write_record
from .anti_entropy import answer
from .documents import Content, doc_type_of
from .errors import ScopeDenied, UnknownDocType
from .limits import Limits
from .ports import SyncStore
from .scopes import allowed, device_scopes, matches
from .validation import changes_content, inspect_update, money_refusal, returns_refusal

DeviceLookup = Callable[[str], Awaitable[Device | None]]
MAX_PULL_LIMIT = 2000
T = TypeVar("T")
YIELD_EVERY = 16  # items validated between two turns of the event loop given to others


class Knowledge(Protocol):
    """What a receiver knows beyond the document, for :func:`protocol.contents.check_contents`."""

    async def courier_depots(self, courier_ids: Collection[str]) -> dict[str, frozenset[str]]:
        """Courier id -> the depots its enrolled devices belong to."""
        ...

    async def tracking_holders(self, numbers: Collection[str]) -> dict[str, frozenset[str]]:
        """Tracking number -> the documents it was issued to or is held by."""
        ...


MAX_GROUP_ITEMS = 2000  # push items validated and committed together at most
Recorded = tuple[list[Step], Callable[[], None]]  # see SyncServer.recorded


@dataclass(slots=True)
class _Working:
    """One document during a push: its stored head and what this push accepted."""

    doc_type: str
    head: DocHead | None  # as stored before this push (None: new)
    previous_scope: ScopeKeys | None
    size: int = 0  # bytes: the stored state plus the updates accepted (its bound)
    loaded: LoadedDoc | None = None  # the stored state plus ``updates``, once needed
    stored: Content | None = None  # the content stored before this push, once loaded
    updates: list[bytes] = field(default_factory=list)
    outbox: list[OutboxEntry] = field(default_factory=list)
    origins: list[str] = field(default_factory=list)  # the writer of each of ``updates``
    appends: bool = True  # every accepted update only appended events

    @classmethod
    def of(cls, head: DocHead) -> _Working:
        return cls(head.doc_type, head, head.scope, head.size)


class Rejected(Exception):
    def __init__(self, code: str, message: str):
        super().__init__(message)
        self.code, self.message = code, message


class SyncServer:
    """Push and pull handlers over a replica store.

    Recently pushed-to documents stay loaded between pushes, at most
    ``cache_size`` of them (~16 KB each), so memory does not grow with the
    number of documents. ``limits`` bounds what one push or pull carries; a
    push gives the event loop to other requests every ``YIELD_EVERY`` items.

    A stored document of at least ``tail_from`` bytes gets the updates of a push
    appended beside its state (see :mod:`._tails`) rather than stored whole again.

    ``wall`` (ms) bounds incoming HLCs to ``max_skew_ms`` ahead of it (no bound
    without it); ``knowledge`` supplies the enrolments and issued tracking
    numbers the content rules check (a depot relay has none: central checks).
    """

    def __init__(
        self,
        store: SyncStore,
        devices: DeviceLookup,
        *,
        relay: bool = False,
        on_change: Callable[[int], Awaitable[None]] | None = None,
        cache_size: int = DEFAULT_CAPACITY,
        wall: Callable[[], int] | None = None,
        max_skew_ms: int = DEFAULT_MAX_SKEW_MS,
        knowledge: Knowledge | None = None,
        limits: Limits | None = None,
        tail_from: int = TAIL_FROM,
    ):
        self.store = store
        self._tail_from = tail_from
        self._wall, self._max_skew_ms, self._knowledge = wall, max_skew_ms, knowledge
        self.limits = limits or Limits()
        self._devices = devices
        self._relay = relay
        self._on_change = on_change
        self._cache = DocCache(cache_size)  # used only by the group commit's writer
        self._pushes: GroupCommit[tuple[Device, PushRequest], PushResponse] = GroupCommit(
            self._push_group, MAX_GROUP_ITEMS
        )

    async def push(self, sender: Device, request: PushRequest) -> PushResponse:
        """Validate and store each item; answer per item, in order, once stored durably.

        Pushes arriving while others are written are validated and written
        together (group commit: one transaction and one fsync for all of them),
        in the order they arrived, each seeing the ones before it.
        """
        request.hello.check()
        self.limits.check_push(len(request.items))
        return await self._pushes.submit((sender, request), max(1, len(request.items)))

    async def _push_group(self, pushes: Sequence[tuple[Device, PushRequest]]) -> list[PushResponse]:
        """Validate ``pushes`` in order and store what they add in one transaction."""
        ids = list(dict.fromkeys(item.doc_id for _, r in pushes for item in r.items))
        heads = await self.store.load_heads(ids, self._cache.versions(ids))
        working = {doc_id: _Working.of(head) for doc_id, head in heads.items()}
        answers = []
        # the tracking numbers the group's accepted shipments hold: a later push of the
        # group must see an earlier one's, which is not committed yet
        claims: dict[str, frozenset[str]] = {}
        validated = 0  # items of the whole group, so small pushes also give the loop a turn
        for sender, request in pushes:
            results = []
            for item in request.items:
                validated += 1
                if validated % YIELD_EVERY == 0:
                    await asyncio.sleep(0)  # let the other requests in
                try:
                    await self._accept(sender, item, working, claims)
                    results.append(ItemResult(item.doc_id, True))
                except Rejected as exc:
                    results.append(ItemResult(item.doc_id, False, exc.code, exc.message))
            answers.append(results)
        writes = [await self._write(doc_id, w) for doc_id, w in working.items() if w.updates]
        computed = {w.doc_id: w.state_vector for w in writes}
        recorded = [await self.recorded(sender, request) for sender, request in pushes]
        also = [step for steps, _ in recorded for step in steps]
        if writes or also:
            head = await self.store.write(writes, also=also)
        else:
            head = await self.store.head()
        self._keep_loaded(working, writes, computed, head)
        for _, done in recorded:
            done()
        if writes and self._on_change:
            await self._on_change(head)
        return [PushResponse(results=results, cursor=head) for results in answers]

    async def recorded(self, sender: Device, request: PushRequest) -> Recorded:
        """Hook: steps to commit with a push's writes, and what to call once they are
        durable (nothing here)."""
        return [], lambda: None

    async def _writer(self, sender: Device, item: PushItem) -> Device:
        if item.origin_device is None or item.origin_device == sender.id:
            return sender
        if sender.role != Role.DEPOT:
            raise Rejected("not_a_relay", "only a depot edge may relay other devices' updates")
        origin = await self._devices(item.origin_device)
        if origin is None:
            raise Rejected("unknown_device", f"origin_device {item.origin_device} is not enrolled")
        if origin.depot_id != sender.depot_id:
            raise Rejected("out_of_scope", "a depot may relay only its own devices")
        return origin

    async def _accept(
        self,
        sender: Device,
        item: PushItem,
        working: dict[str, _Working],
        claims: dict[str, frozenset[str]],
    ) -> None:
        """Validate ``item`` and add it to ``working`` (``claims``: the tracking
        numbers this push's accepted shipments hold), or raise ``Rejected``."""
        if not is_uuid(item.doc_id):
            raise Rejected("invalid_doc_id", f"doc_id {item.doc_id!r} is not a UUID")
        try:
            doc_type = doc_type_of(item.doc_type)
        except UnknownDocType as exc:
            raise Rejected(exc.code, str(exc)) from None
        writer = await self._writer(sender, item)
        current = working.get(item.doc_id)
        if current is not None and current.doc_type != doc_type:
            raise Rejected("doc_type_mismatch", f"{item.doc_id} is a {current.doc_type}")
        loaded = await self._loaded(item.doc_id, current)
        if current is not None and _already_has(loaded, item):
            if not changes_content(loaded, item.update):
                return  # a re-send: accepted, not logged twice
        size = (current.size if current else 0) + len(item.update)
        if size > self.limits.document_bytes:
            if current is not None:
                current.loaded = None  # the re-send check may have applied it: reload
            raise Rejected(
                "document_too_large",
                f"update: document {item.doc_id} would grow past "
                f"{self.limits.document_bytes} bytes",
            )
        try:
            change, after, appended = _validated(
                writer, doc_type, loaded, current is None, item.update, item.doc_id, self.limits
            )
            refusal = check_contents(writer, change, await self._facts(writer, change, claims))
            if refusal is not None:
                raise Rejected(refusal.code, refusal.message)
            if doc_type == DocType.CASHBOOK:
                await self._entries_checked(after, change.new_events, working)
            if requested_in(change):
                await self._rma_checked(item.doc_id, after, working)
            loaded.advance(after, [event.id for event in change.new_events])
        except Rejected:
            if current is not None:
                current.loaded = None  # the refused update is in the doc: reload it
            raise
        entry = current or _Working(doc_type.value, None, None)
        entry.loaded = loaded
        entry.size = size
        entry.appends = entry.appends and appended
        entry.updates.append(item.update)
        loaded.since.append(item.update)
        entry.origins.append(writer.id)
        if self._relay:
            entry.outbox.append(
                OutboxEntry(item.doc_id, doc_type.value, item.update, item.command, writer.id)
            )
        working[item.doc_id] = entry
        number = change.info_after.get("tracking_number")
        if doc_type == DocType.SHIPMENT and number:
            claims[str(number)] = frozenset({item.doc_id})

    async def _facts(
        self, writer: Device, change: Change, claims: Mapping[str, frozenset[str]]
    ) -> Facts:
        """What the content rules need to know about ``change``, looked up only
        when it assigns a courier or sets a tracking number."""
        needed = facts_needed(writer, change)
        now = self._wall() if self._wall is not None else None
        if self._knowledge is None:
            return Facts(now, self._max_skew_ms)
        couriers = needed.couriers and await self._knowledge.courier_depots(needed.couriers)
        holders = {}
        if needed.tracking_numbers:
            holders = await self._knowledge.tracking_holders(needed.tracking_numbers)
            for number in needed.tracking_numbers & claims.keys():
                holders[number] = holders.get(number, frozenset()) | claims[number]
        return Facts(now, self._max_skew_ms, couriers or {}, holders)

    async def _entries_checked(
        self, book: Content, new_events: tuple[Event, ...], working: dict[str, _Working]
    ) -> None:
        """``Rejected`` unless each new ``collected`` entry matches the shipment it names
        (:func:`protocol.cash_rules.entry_refusal`), as this push leaves that shipment."""
        entries = [e for e in new_events if isinstance(e, CashCollected)]
        if not entries:
            return
        info = book.typed_info(DocType.CASHBOOK)
        assert isinstance(info, CashBookInfo)
        for entry in entries:
            shipment = await self._shipment(entry.payload.shipment_id, working)
            refusal = entry_refusal(info, entry, *shipment)
            if refusal is not None:
                raise Rejected(refusal.code, refusal.message)

    async def _rma_checked(self, doc_id: str, rma: Content, working: dict[str, _Working]) -> None:
        """``Rejected`` unless the RMA names only items of its delivered shipment, within
        what the shipment's other RMAs (stored or in this push) left
        (:func:`protocol.return_rules.rma_refusal`); a relay not holding the shipment
        leaves it to central."""
        info = rma.typed_info(DocType.RETURN)
        assert isinstance(info, ReturnInfo)
        shipment, events = await self._shipment(info.shipment_id, working)
        if shipment is None and self._relay:
            return
        status = fold_shipment(events, shipment.cod).status if shipment else None
        others = set(await self.store.returns_of(info.shipment_id))
        others |= {d for d, w in working.items() if w.doc_type == DocType.RETURN.value}
        others.discard(doc_id)
        earlier = [
            r for r in await self._returns(others, working) if r.shipment_id == info.shipment_id
        ]
        asked = units(item for r in earlier for item in r.items)
        refusal = rma_refusal(info.items, shipment, status, asked, "info.items")
        if refusal is not None:
            raise Rejected(refusal.code, refusal.message)

    async def _returns(self, doc_ids: set[str], working: dict[str, _Working]) -> list[ReturnInfo]:
        """The info of the returns among ``doc_ids`` as this push has them so far."""
        missing = sorted(doc_ids - working.keys())
        if missing:
            heads = await self.store.load_heads(missing, self._cache.versions(missing))
            working.update((d, _Working.of(head)) for d, head in heads.items())
        found = []
        for doc_id in sorted(doc_ids & working.keys()):
            w = working[doc_id]
            content = (await self._loaded(doc_id, w)).content
            if w.doc_type == DocType.RETURN.value and content.info:
                info = content.typed_info(DocType.RETURN)
                assert isinstance(info, ReturnInfo)
                found.append(info)
        return found

    async def _shipment(
        self, doc_id: str, working: dict[str, _Working]
    ) -> tuple[ShipmentInfo | None, list[Event]]:
        """A shipment's info and events as this push has it so far (``None`` if unknown)."""
        if doc_id not in working:
            heads = await self.store.load_heads([doc_id], self._cache.versions([doc_id]))
            working.update((d, _Working.of(head)) for d, head in heads.items())
        w = working.get(doc_id)
        if w is None or w.doc_type != DocType.SHIPMENT.value:
            return None, []
        content = (await self._loaded(doc_id, w)).content
        info = content.typed_info(DocType.SHIPMENT)
        assert isinstance(info, ShipmentInfo)
        return info, content.typed_events(DocType.SHIPMENT)

    async def _loaded(self, doc_id: str, w: _Working | None) -> LoadedDoc:
        """The document as this push has it so far, loaded once."""
        if w is None or w.head is None:  # new: made of this push's updates so far
            if w is not None and w.loaded is None:
                w.loaded = LoadedDoc.of(merge_updates(*w.updates) if w.updates else None)
            return w.loaded if w is not None and w.loaded is not None else LoadedDoc.of(None)
        if w.loaded is None:
            cached = None if w.updates else self._cache.take(doc_id, w.head.version)
            if cached is None:
                state = w.head.state
                if state is None:  # the copy cached at its version has gone since
                    stored = (await self.store.load([doc_id])).get(doc_id)
                    state = stored.state if stored is not None else b""
                base = [state] if state else []
                cached = LoadedDoc.of(merge_updates(*base, *w.updates) if w.updates else state)
            w.loaded = cached
            if not w.updates:
                w.stored = cached.content
        return w.loaded

    async def _write(self, doc_id: str, w: _Working) -> DocWrite:
        """The write record of an accepted document.

        A document stored large enough gets its updates appended beside its state
        (see :mod:`._tails`) until its tail is due to be folded in; the rows of its
        stored events are not made again when this push only appended events (see
        :func:`.projection.project`).
        """
        loaded = await self._loaded(doc_id, w)
        head = w.head
        stored_events = len(w.stored.events) if w.stored is not None and w.appends else 0
        added = (len(w.updates), sum(len(u) for u in w.updates))
        tail = head is not None and not due(
            head.state_bytes, head.tail[0] + added[0], head.tail[1] + added[1], self._tail_from
        )
        if tail:
            state, state_vector = loaded.base, loaded.doc.state_vector()
        else:
            state, state_vector = loaded.doc.encode()
        write = write_record(
            doc_id,
            w.doc_type,
            state,
            state_vector,
            loaded.content,
            w.previous_scope,
            w.updates,
            w.origins[-1],
            stored_events,
        )
        write.outbox, write.update_origins = w.outbox, w.origins
        write.tail = list(loaded.since) if tail else None
        return write

    def _keep_loaded(
        self,
        working: dict[str, _Working],
        writes: list[DocWrite],
        computed: dict[str, bytes],
        head: int,
    ) -> None:
        """After a committed write, cache each loaded document at the version stored
        for it (``head``: the log's head after the write); one the store rebased on
        a concurrent change (its state vector is no longer the one ``computed``
        here) is dropped instead."""
        written = {w.doc_id: w for w in writes}
        for doc_id, w in working.items():
            write = written.get(doc_id)
            if w.loaded is None:
                continue
            if write is None:
                if w.head is not None:
                    self._cache.keep(doc_id, w.head.version, w.loaded)
            elif write.state_vector is computed[doc_id]:
                if write.tail is None:
                    w.loaded.base, w.loaded.since = write.state, []
                self._cache.keep(doc_id, (head, write.state_vector), w.loaded)

    async def pull(self, device: Device, request: PullRequest) -> PullResponse:
        """Updates after the client's cursor in its scopes, paged, with the resets
        the device has not acknowledged yet (see :mod:`sync._resets`).

        A cursor from another replica file (``request.replica`` names another
        one) or from beyond this log's head (a file restored from a backup) is
        not trusted: the client gets a snapshot, and its acknowledgement of
        another file's resets is ignored.
        """
        request.hello.check()
        scopes = _readable(device, request.scopes)
        limit = max(1, min(request.limit, MAX_PULL_LIMIT))
        replica = await self.store.replica_id()
        if request.replica and request.replica != replica:
            request = msgspec.structs.replace(request, cursor=0, reset_ack=0, snapshot_after="")
        resync, gone = await self._resync(scopes, request.resync)
        resets = await self.store.pending_resets(device.id, request.reset_ack)
        floor = await self.store.log_floor()
        from_log = not (request.snapshot_after or request.cursor == 0 or request.cursor < floor)
        rows: list[LogRow] = []
        head = 0
        if from_log:
            rows, head = await self.store.read_log(request.cursor, scopes, limit + 1)
        if not from_log or request.cursor > head:
            snapshot = await self._snapshot(request, scopes, limit, resync, gone)
            return msgspec.structs.replace(snapshot, resets=resets, replica=replica)
        has_more = len(rows) > limit
        rows = rows[:limit]
        fitting = _fitting(rows, lambda r: len(r.update or b""), self.limits.pull_bytes)
        has_more = has_more or len(fitting) < len(rows)
        rows = fitting
        cursor = rows[-1].seq if has_more else head
        updates, entering, leaving = await self._group(rows, scopes)
        return PullResponse(
            updates,
            resync + entering,
            gone + leaving,
            cursor,
            has_more,
            resets=resets,
            replica=replica,
        )

    async def vectors(self, device: Device, request: VectorsRequest) -> VectorsResponse:
        """Anti-entropy: the digests and state vectors of the device's scopes
        (see :mod:`.anti_entropy`)."""
        request.hello.check()
        scopes = _readable(device, request.scopes)
        return answer(await self.store.scope_vectors(scopes), request)

    async def _resync(
        self, scopes: Sequence[Scope], doc_ids: Sequence[str]
    ) -> tuple[list[DocUpdate], list[str]]:
        """Whole states of the requested documents; those out of scope are gone."""
        docs = await self.store.load(doc_ids[:MAX_PULL_LIMIT])
        whole = [
            DocUpdate(d.doc_id, d.doc_type, d.state)
            for d in docs.values()
            if matches(scopes, d.scope)
        ]
        sent = {u.doc_id for u in whole}
        return whole, [d for d in doc_ids[:MAX_PULL_LIMIT] if d not in sent]

    async def _snapshot(
        self,
        request: PullRequest,
        scopes: Sequence[Scope],
        limit: int,
        resync: list[DocUpdate],
        gone: list[str],
    ) -> PullResponse:
        docs, head = await self.store.snapshot_page(scopes, request.snapshot_after, limit)
        fitting = _fitting(docs, lambda d: len(d.state), self.limits.pull_bytes)
        has_more = len(docs) == limit or len(fitting) < len(docs)
        docs = fitting
        cursor = request.cursor if request.snapshot_after else head
        return PullResponse(
            updates=[],
            entering=resync + [DocUpdate(d.doc_id, d.doc_type, d.state) for d in docs],
            leaving=gone,
            cursor=cursor,
            has_more=has_more,
            snapshot=True,
            snapshot_after=docs[-1].doc_id if has_more else "",
        )

    async def _group(
        self, rows: list[LogRow], scopes: Sequence[Scope]
    ) -> tuple[list[DocUpdate], list[DocUpdate], list[str]]:
        by_doc: dict[str, list[LogRow]] = {}
        for row in rows:
            by_doc.setdefault(row.doc_id, []).append(row)
        current = await self.store.load(by_doc)
        updates, entering, leaving = [], [], []
        for doc_id, doc_rows in by_doc.items():
            kinds = {r.kind for r in doc_rows}
            now = current.get(doc_id)
            inside = now is not None and matches(scopes, now.scope)
            if now is None or not inside:
                if "leave" in kinds:
                    leaving.append(doc_id)
            elif "enter" in kinds:
                entering.append(DocUpdate(doc_id, now.doc_type, now.state))
            else:
                for r in doc_rows:
                    if r.update is not None:
                        updates.append(DocUpdate(doc_id, r.doc_type, r.update))
        return updates, entering, leaving


def _validated(
    writer: Device,
    doc_type: DocType,
    loaded: LoadedDoc,
    created: bool,
    update: bytes,
    doc_id: str,
    limits: Limits,
) -> tuple[Change, Content, bool]:
    """The change ``update`` makes (applied to ``loaded``'s doc), the content after
    it and whether it only appended events, or ``Rejected`` saying why ``writer``
    may not make it."""
    need_status = writer.role in (Role.MERCHANT, Role.OFFICE)
    before = loaded.content
    inspection = inspect_update(
        doc_type, loaded, created, update, need_status=need_status, doc_id=doc_id
    )
    if inspection.refusal is not None:
        raise Rejected(inspection.refusal.code, inspection.refusal.message)
    assert inspection.change is not None and inspection.after is not None
    for raw in inspection.added:
        size = len(msgspec.json.encode(raw))
        if size > limits.event_bytes:
            raise Rejected(
                "event_too_large",
                f"event {raw.get('id')!r}: {size} bytes as JSON, at most {limits.event_bytes}",
            )
    change, after = inspection.change, inspection.after
    refusal = (
        check_change(writer, change)
        or money_refusal(doc_type, change, before, after)
        or returns_refusal(doc_type, change, after)
    )
    if refusal is not None:
        raise Rejected(refusal.code, refusal.message)
    return inspection.change, inspection.after, inspection.appended


def _readable(device: Device, asked: Sequence[Scope]) -> Sequence[Scope]:
    """The scopes ``device`` reads (``asked``, or all it may), or ``ScopeDenied``."""
    permitted = device_scopes(device)
    scopes: Sequence[Scope] = asked or permitted
    if not allowed(scopes, permitted):
        raise ScopeDenied(f"device {device.id} may not read scopes {list(scopes)}")
    return scopes


def _fitting(items: list[T], size: Callable[[T], int], budget: int) -> list[T]:
    """The longest prefix of ``items`` within ``budget`` bytes, and always the first
    (a page carries at least one, so paging makes progress)."""
    total = 0
    for n, item in enumerate(items):
        total += size(item)
        if total > budget and n > 0:
            return items[:n]
    return items


def _already_has(loaded: LoadedDoc, item: PushItem) -> bool:
    """True when ``item`` brings no item the document does not have (a re-send,
    or an update of deletions only)."""
    try:
        return loaded.doc.holds_all_of(item.update)
    except ValueError:
        return False
