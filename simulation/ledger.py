"""The COD ledger of a replica, for the simulation's report: every document folded by
:func:`protocol.reconcile.reconcile`, the journal's balances per account and currency."""

from __future__ import annotations

from typing import Any

from protocol.ledger import CashBookRecord, ReturnRecord, ShipmentRecord
from protocol.reconcile import Reconciliation, reconcile
from protocol.statement import Period
from protocol.vocab import DocType
from sync import ReplicaStore
from sync.documents import load, read_content


async def reconciled(store: ReplicaStore) -> Reconciliation:
    """Reconcile everything ``store`` holds (no fee terms, no limits, all time)."""
    ids = await store.document_ids()
    shipments, books, returns = [], [], []
    for doc_id, stored in (await store.load(ids)).items():
        content = read_content(load(stored.state))
        if not content.info:
            continue
        kind = DocType(stored.doc_type)
        info, events = content.typed_info(kind), tuple(content.typed_events(kind))
        if kind == DocType.SHIPMENT:
            shipments.append(ShipmentRecord(doc_id, info, events))  # type: ignore[arg-type]
        elif kind == DocType.CASHBOOK:
            books.append(CashBookRecord(doc_id, info, events))  # type: ignore[arg-type]
        else:
            returns.append(ReturnRecord(doc_id, info, events))  # type: ignore[arg-type]
    return reconcile(
        shipments, books, returns, terms={}, limits={}, period=Period(), today="9999-12-31"
    )


def ledger_summary(recon: Reconciliation) -> dict[str, Any]:
    """Balances per currency and account, and the journal's identities."""
    balances = recon.journal.by_currency()
    remitted_lines = [line for s in recon.statements for line in s.lines if line.remitted_batch]
    return {
        "balances": balances,
        "balanced": all(sum(accounts.values()) == 0 for accounts in balances.values()),
        "remitted_only_banked": all(line.banked for line in remitted_lines),
        "remitted_payable": sum(line.payable for line in remitted_lines),
        "discrepancies": sorted(d.id for d in recon.discrepancies),
    }
