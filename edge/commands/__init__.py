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
from .manifest import manifest_stops, route_day
from .pickups import (
    Pickup,
    assign_return,
    my_pickups,
    my_return,
    pickup_return,
    pickups_to_plan,
)
from .returns_desk import (
    ReturnRow,
    StockLevel,
    inspect,
    parse_item,
    receive_return,
    returns_here,
    stock_levels,
)
from .stock import dispatch, move_stock, restock

__all__ = [
    "Adjustment",
    "Attachment",
    "CashPosition",
    "CountResult",
    "Deposit",
    "Handover",
    "Pickup",
    "PlanRow",
    "ReturnRow",
    "RouteStop",
    "StockLevel",
    "adjust_count",
    "assign",
    "assign_return",
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
    "manifest_stops",
    "move_stock",
    "my_pickups",
    "my_return",
    "out_for_delivery",
    "parse_item",
    "pickup_return",
    "pickups_to_plan",
    "receive",
    "receive_return",
    "restock",
    "returns_here",
    "route_day",
    "stock_levels",
    "to_plan",
    "undeposited",
]
