"""Courier and depot commands: plain async functions, one transaction each."""

from .cash import CashPosition, Handover, cash_position, collect, handover
from .courier import (
    Attachment,
    RouteStop,
    deliver,
    fail,
    find,
    load_route,
    out_for_delivery,
    pickup_return,
)
from .depot import CountResult, Deposit, assign, count_cash, deposit, receive, undeposited
from .desk_adjust import Adjustment, adjust_count
from .returns_desk import (
    StockLevel,
    dispatch,
    inspect,
    parse_item,
    receive_return,
    restock,
    stock_levels,
)

__all__ = [
    "Adjustment",
    "Attachment",
    "CashPosition",
    "CountResult",
    "Deposit",
    "Handover",
    "RouteStop",
    "StockLevel",
    "adjust_count",
    "assign",
    "cash_position",
    "collect",
    "count_cash",
    "deliver",
    "deposit",
    "dispatch",
    "fail",
    "find",
    "handover",
    "inspect",
    "load_route",
    "out_for_delivery",
    "parse_item",
    "pickup_return",
    "receive",
    "receive_return",
    "restock",
    "stock_levels",
    "undeposited",
]
