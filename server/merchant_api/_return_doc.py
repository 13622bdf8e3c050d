"""A return document read back whole: its info, its fold and its refund recommendation."""

from __future__ import annotations

from protocol.info import ReturnInfo
from protocol.returns import RefundRecommendation, ReturnState, fold_return
from protocol.vocab import DocType
from sync.documents import load, read_content

from .schemas import RefundLineOut, RefundOut


def folded_return(state: bytes) -> tuple[ReturnInfo, ReturnState]:
    """The info and folded state of a stored return document."""
    content = read_content(load(state))
    info = content.typed_info(DocType.RETURN)
    assert isinstance(info, ReturnInfo)
    return info, fold_return(content.typed_events(DocType.RETURN))


def refund_out(recommendation: RefundRecommendation) -> RefundOut:
    """The recommendation as the merchant sees it (API and webhook alike)."""
    lines = [
        RefundLineOut(
            li.sku,
            li.quantity,
            li.grade.value,
            li.disposition.value,
            li.unit_price,
            li.amount,
            li.reason,
        )
        for li in recommendation.lines
    ]
    return RefundOut(lines, recommendation.total, recommendation.currency)
