"""The office's copy of every document, folded once and refreshed incrementally.

:class:`FoldedDocuments` keeps each document's plain record (see
:mod:`server.office.loader`) and each shipment's COD ledger line
(:func:`protocol.ledger.cod_line`, the costly fold). A refresh re-reads and
re-folds only the documents written since the log head it last saw, so the
work after a sync is proportional to what the sync changed; reconciling
then links fresh copies of the cached lines to the cash books. Records are
kept by doc id and handed to the reconciliation in doc-id order, so an
incremental refresh gives exactly what a full rebuild gives.
"""

from __future__ import annotations

import asyncio
from dataclasses import replace

from protocol.ledger import CashBookRecord, CodLine, ReturnRecord, cod_line
from protocol.reconcile import Reconciliation, reconcile_lines
from protocol.statement import FeeTerms, Period
from sync.store import ReplicaStore

from .loader import Snapshot, load_snapshot


class FoldedDocuments:
    """Every shipment, cash book and return of one store, folded, as of :attr:`head`."""

    def __init__(self) -> None:
        self.head: int | None = None  # None until the first refresh
        self._lines: dict[str, CodLine] = {}
        self._books: dict[str, CashBookRecord] = {}
        self._returns: dict[str, ReturnRecord] = {}
        self._lock = asyncio.Lock()

    async def refresh(self, store: ReplicaStore) -> int:
        """Catch up with ``store``: re-read only documents written since :attr:`head`."""
        async with self._lock:
            if self.head is not None and self.head == await store.head():
                return self.head
            snapshot = await load_snapshot(store, since=self.head)
            self._apply(snapshot)
            self.head = snapshot.head
            return snapshot.head

    def _apply(self, snapshot: Snapshot) -> None:
        if snapshot.changed is None:
            self._lines, self._books, self._returns = {}, {}, {}
        else:
            for doc_id in snapshot.changed:
                for folded in (self._lines, self._books, self._returns):
                    folded.pop(doc_id, None)
        self._lines.update((r.doc_id, cod_line(r)) for r in snapshot.shipments)
        self._books.update((r.doc_id, r) for r in snapshot.books)
        self._returns.update((r.doc_id, r) for r in snapshot.returns)

    def reconcile(
        self, *, terms: dict[str, FeeTerms], limits: dict[str, int], period: Period, today: str
    ) -> Reconciliation:
        """The reconciliation of every document as of :attr:`head`."""
        # reconcile_lines writes cash-book links into the lines: hand it copies
        lines = {doc_id: replace(self._lines[doc_id]) for doc_id in sorted(self._lines)}
        return reconcile_lines(
            lines,
            [self._books[doc_id] for doc_id in sorted(self._books)],
            [self._returns[doc_id] for doc_id in sorted(self._returns)],
            terms=terms,
            limits=limits,
            period=period,
            today=today,
        )

    def reconcile_one(
        self,
        line: CodLine,
        *,
        terms: dict[str, FeeTerms],
        limits: dict[str, int],
        today: str,
    ) -> Reconciliation:
        """The reconciliation of ``line`` alone against every cash book (what a change
        to one shipment would do to its status and its money)."""
        returns = [r for r in self._returns.values() if r.info.shipment_id == line.doc_id]
        return reconcile_lines(
            {line.doc_id: replace(line)},
            [self._books[doc_id] for doc_id in sorted(self._books)],
            returns,
            terms=terms,
            limits=limits,
            period=Period(),
            today=today,
        )
