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
from .depot import (
    CountResult,
    Deposit,
    PlanRow,
    assign,
    count_cash,
    deposit,
    receive,
    to_plan,
    undeposited,
)
from .desk_adjust import Adjustment, adjust_count
from .followups import answer_change, back_at_origin, hand_back
from .manifest import manifest_stops, route_day
from .returns_desk import (
    ReturnRow,
    StockLevel,
    dispatch,
    inspect,
    parse_item,
    receive_return,
    restock,
    returns_here,
    stock_levels,
)

__all__ = [
    "Adjustment",
    "Attachment",
    "CashPosition",
    "CountResult",
    "Deposit",
    "Handover",
    "PlanRow",
    "ReturnRow",
    "RouteStop",
    "StockLevel",
    "adjust_count",
    "answer_change",
    "assign",
    "back_at_origin",
    "cash_position",
    "collect",
    "count_cash",
    "deliver",
    "deposit",
    "dispatch",
    "fail",
    "find",
    "hand_back",
    "handover",
    "inspect",
    "load_route",
    "manifest_stops",
    "out_for_delivery",
    "parse_item",
    "pickup_return",
    "receive",
    "receive_return",
    "restock",
    "returns_here",
    "route_day",
    "stock_levels",
    "to_plan",
    "undeposited",
]
