"""What the sync core needs of a replica store, as small typed parts with one job each.

:class:`.store.ReplicaStore` (SQLite) implements every part; another backend
(PostgreSQL for central) implements the same ones. Code outside the store
types against the part it uses (``Devices`` to authenticate, ``UpdateLog`` to
serve a pull, ...) and never writes SQL against the store's tables: the SQL
is behind these methods. ``tests/test_store_contract.py`` runs one suite over
every implementation; ``tests/test_store_boundary.py`` keeps the SQL inside.
"""

from __future__ import annotations

from collections.abc import Callable, Collection, Iterable, Mapping, Sequence
from typing import TYPE_CHECKING, Any, Protocol

from protocol.permissions import Device
from protocol.wire import DocReset, Scope

from ._records import DocHead, DocWrite, LogRow, OutboxEntry, ScopeKeys, StoredDoc

if TYPE_CHECKING:
    from ._outbox import OutboxStats, PullState, Quarantined


class Meta(Protocol):
    """The node's key/value metadata and identity."""

    async def meta(self, key: str, default: str | None = None) -> str | None: ...

    async def set_meta(self, key: str, value: str, *, scrub: bool = False) -> None: ...

    async def forget_meta(self, key: str) -> None: ...

    async def metas(self, keys: Sequence[str]) -> dict[str, str]: ...

    async def set_metas(self, values: dict[str, str]) -> None: ...

    async def replica_id(self) -> str: ...

    async def client_id(self) -> int: ...

    async def rotate_client_id(self) -> int: ...


class Documents(Protocol):
    """Merged document state, written with its log rows, projections and outbox."""

    async def load(self, doc_ids: Iterable[str]) -> dict[str, StoredDoc]: ...

    async def load_heads(
        self, doc_ids: Iterable[str], known: Mapping[str, tuple[int, bytes]] | None = None
    ) -> dict[str, DocHead]: ...

    async def document_ids(self) -> list[str]: ...

    async def document_count(self) -> int: ...

    async def state_vectors(self) -> dict[str, bytes]: ...

    async def scope_doc_ids(
        self, scopes: Sequence[Scope], doc_type: str | None = None
    ) -> set[str]: ...

    async def write(
        self,
        docs: Sequence[DocWrite],
        *,
        cursor: tuple[str, int, str] | None = None,
        evict: Sequence[str] = (),
        release_held: Sequence[str] = (),
        also: Sequence[Any] = (),
    ) -> int: ...

    async def write_built(
        self,
        build: Callable[[Any], Sequence[DocWrite]],
        *,
        cursor: tuple[str, int, str] | None = None,
        evict: Sequence[str] = (),
        release_held: Sequence[str] = (),
        also: Sequence[Any] = (),
    ) -> int: ...

    async def forget_all(self) -> None: ...


class UpdateLog(Protocol):
    """The update log a node serves pulls from: monotonic sequence numbers."""

    async def head(self) -> int: ...

    async def log_floor(self) -> int: ...

    async def read_log(
        self, cursor: int, scopes: Sequence[Scope], limit: int
    ) -> tuple[list[LogRow], int]: ...

    async def snapshot_page(
        self, scopes: Sequence[Scope], after_doc_id: str, limit: int
    ) -> tuple[list[StoredDoc], int]: ...

    async def changed_since(self, since: int, head: int) -> list[str] | None: ...

    async def scope_vectors(self, scopes: Sequence[Scope]) -> dict[str, bytes]: ...

    async def scopes_logged(self, after: int, up_to: int) -> list[ScopeKeys]: ...

    async def log_updates(
        self, doc_ids: Sequence[str], after: int, up_to: int
    ) -> list[tuple[str, bytes, ScopeKeys]]: ...

    async def log_rows_up_to(self, seq: int) -> int: ...

    async def seq_received_before(self, received_at_ms: int) -> int: ...

    async def compact_document(self, doc_id: str) -> int: ...

    async def truncate_log(self, up_to_seq: int) -> int: ...


class Outbox(Protocol):
    """Local updates waiting for the upstream, quarantine, documents to rebuild."""

    async def outbox_pending(self, limit: int) -> list[OutboxEntry]: ...

    async def settle_outbox(
        self, acked: Sequence[int], rejected: Sequence[tuple[int, str, str]] = ()
    ) -> None: ...

    async def held_entries(self, doc_id: str) -> list[OutboxEntry]: ...

    async def drop_held(self, doc_id: str, quarantine_reason: tuple[str, str] | None) -> None: ...

    async def quarantined(self) -> list[Quarantined]: ...

    async def outbox_stats(self) -> OutboxStats: ...

    async def resync_wanted(self) -> list[str]: ...

    async def pending_evictions(self) -> list[str]: ...

    async def clear_resync(self, doc_ids: Sequence[str]) -> None: ...

    async def docs_with_outbox(self) -> set[str]: ...


class Cursors(Protocol):
    """Where this node is in each upstream's log, and the resets exchanged with it."""

    async def cursor(self, upstream: str) -> tuple[int, int | None]: ...

    async def cursor_of(self, upstream: str) -> tuple[int, int | None, str]: ...

    async def pull_state(self, upstream: str) -> PullState: ...

    async def pending_resets(
        self, device_id: str, acked: int, limit: int = 500
    ) -> list[DocReset]: ...

    async def reset_ack(self, upstream: str) -> int: ...

    async def forget_reset_ack(self, upstream: str) -> None: ...

    async def take_resets(self, upstream: str, resets: Sequence[DocReset]) -> None: ...


class Devices(Protocol):
    """Enrolled devices, their tokens and when they were last seen."""

    async def enroll(self, device: Device, label: str = "", token: str | None = None) -> str: ...

    async def authenticate(self, token: str) -> Device | None: ...

    async def device(self, device_id: str) -> Device | None: ...

    async def revoke(self, device_id: str) -> bool: ...

    async def courier_depots(self, courier_ids: Collection[str]) -> dict[str, frozenset[str]]: ...

    async def courier_home_depot(self, courier_id: str) -> str: ...

    async def devices(self) -> list[tuple[Device, str, int | None, int | None]]: ...


class HealthRecords(Protocol):
    """The device health reports a node keeps, and its own counts to report."""

    async def own_health_counts(
        self, upstream: str
    ) -> tuple[int, int | None, int, int | None, list[tuple[str, int, str | None]]]: ...

    async def health_of(
        self, device_ids: Sequence[str]
    ) -> list[tuple[str, str, str | None, int | None, str | None]]: ...

    async def keep_health(self, records: Sequence[tuple[str, str]]) -> None: ...

    def health_steps(self, records: Sequence[tuple[str, str]]) -> list[Any]: ...

    async def device_overview(
        self,
    ) -> list[tuple[str, str, str, str, int | None, str | None, int]]: ...


class Projections(Protocol):
    """The flat tables derived from the documents."""

    async def rebuild_projections(self) -> int: ...

    async def events_of(
        self, doc_id: str, *event_types: str
    ) -> list[tuple[str, str, str | None, str | None, str | None]]: ...

    async def returns_of(self, shipment_id: str) -> list[str]: ...

    async def document_depot(self, doc_id: str) -> str | None: ...

    async def manifest_rows(
        self, depot_id: str, courier_id: str, day: str
    ) -> list[tuple[str, int | None, str]]: ...

    async def projection_rows(
        self, table: str, scopes: Sequence[Scope] | None = None
    ) -> list[tuple[Any, ...]]: ...


class SyncStore(
    Meta, Documents, UpdateLog, Outbox, Cursors, Devices, HealthRecords, Projections, Protocol
):
    """Every part: what a node (central, depot, handheld) runs on."""

    migrations: tuple[str, ...]

    async def close(self) -> None: ...
