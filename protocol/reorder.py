"""Reorder suggestions from daily demand: forecast, days of cover, stock-out, reorder point.

Pure functions of plain data (no clock: the caller names the day ``as_of``).

- A daily demand series (units taken out of stock per day, oldest first) is
  *intermittent* when its average demand interval (days / days with demand)
  exceeds 1.32 (Syntetos, Boylan & Croston, 2005); its rate is then Croston's
  method with the Syntetos-Boylan bias correction (SBA):
  ``(1 - alpha / 2) * size / interval``, size and interval smoothed only on
  days with demand. A smooth series uses simple exponential smoothing (SES).
  Both start from the first observation and use a fixed ``alpha``.
- ``sigma`` is the root mean square of the one-step-ahead errors, so the safety
  stock is ``ceil(z * sigma * sqrt(lead time))`` with ``z`` the normal quantile
  of the service level; the reorder point is ``ceil(rate * lead time)`` plus
  that safety stock; the order brings stock up to the reorder point plus the
  demand of one review period.
"""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from enum import StrEnum
from statistics import NormalDist

INTERMITTENT_ADI = 1.32


class Method(StrEnum):
    SES = "ses"
    SBA = "croston_sba"
    NONE = "no_demand"


class Alert(StrEnum):
    NONE = ""
    REORDER = "reorder"  # at or below the reorder point
    STOCKOUT = "stockout_within_lead_time"  # runs out before a new order can arrive
    OUT = "out_of_stock"


@dataclass(frozen=True, slots=True)
class Policy:
    """How far ahead to plan: lead time, review period, service level, smoothing."""

    lead_time_days: int = 7
    review_days: int = 14
    service_level: float = 0.95
    alpha: float = 0.1

    def __post_init__(self) -> None:
        if not 1 <= self.lead_time_days <= 365:
            raise ValueError("lead_time_days must be 1..365")
        if not 0 <= self.review_days <= 365:
            raise ValueError("review_days must be 0..365")
        if not 0.5 <= self.service_level < 1:
            raise ValueError("service_level must be at least 0.5 and below 1")
        if not 0 < self.alpha <= 1:
            raise ValueError("alpha must be in (0, 1]")


@dataclass(frozen=True, slots=True)
class Forecast:
    method: Method
    rate: float  # units per day
    sigma: float  # RMS one-step-ahead error, units per day


@dataclass(frozen=True, slots=True)
class Suggestion:
    """What to do about one SKU's stock on ``as_of``."""

    on_hand: int
    forecast: Forecast
    days_of_cover: float | None  # None: no demand, the stock lasts
    stockout_date: dt.date | None
    safety_stock: int
    reorder_point: int
    reorder_quantity: int
    alert: Alert


def daily_series(
    outflows: Iterable[tuple[dt.date, int]], first: dt.date, last: dt.date
) -> list[int]:
    """Units out per day from ``first`` to ``last`` inclusive (days without any are 0)."""
    if last < first:
        raise ValueError(f"series ends ({last}) before it starts ({first})")
    series = [0] * ((last - first).days + 1)
    for day, quantity in outflows:
        if first <= day <= last:
            series[(day - first).days] += quantity
    return series


def is_intermittent(series: Sequence[int]) -> bool:
    """Average demand interval above 1.32 (or no demand at all)."""
    demand_days = sum(1 for y in series if y > 0)
    return demand_days == 0 or len(series) / demand_days > INTERMITTENT_ADI


def ses(series: Sequence[int], alpha: float) -> tuple[float, list[float]]:
    """The SES level after ``series``; the one-step-ahead forecast of each day after the first."""
    level = float(series[0])
    ahead: list[float] = []
    for y in series[1:]:
        ahead.append(level)
        level = alpha * y + (1 - alpha) * level
    return level, ahead


def croston_sba(series: Sequence[int], alpha: float) -> tuple[float, list[float]]:
    """The SBA rate after ``series``; the one-step-ahead forecasts after the first demand.

    Size and interval start at the first demand (its size, its day number
    counting from 1) and are smoothed on each later day with demand.
    """
    correction = 1 - alpha / 2
    size = interval = 0.0
    since = 0
    ahead: list[float] = []
    for y in series:
        since += 1
        if size:
            ahead.append(correction * size / interval)
        if y > 0:
            if size:
                size = alpha * y + (1 - alpha) * size
                interval = alpha * since + (1 - alpha) * interval
            else:
                size, interval = float(y), float(since)
            since = 0
    return (correction * size / interval if size else 0.0), ahead


def forecast(series: Sequence[int], alpha: float) -> Forecast:
    """The daily demand rate of ``series`` by SBA (intermittent) or SES (smooth)."""
    if not any(y > 0 for y in series):
        return Forecast(Method.NONE, 0.0, 0.0)
    if is_intermittent(series):
        method, (rate, ahead) = Method.SBA, croston_sba(series, alpha)
        actual = series[len(series) - len(ahead) :]
    else:
        method, (rate, ahead) = Method.SES, ses(series, alpha)
        actual = series[1:]
    errors = [y - f for y, f in zip(actual, ahead, strict=True)]
    sigma = math.sqrt(sum(e * e for e in errors) / len(errors)) if errors else 0.0
    return Forecast(method, rate, sigma)


def suggest(on_hand: int, series: Sequence[int], as_of: dt.date, policy: Policy) -> Suggestion:
    """Days of cover, forecast stock-out day, reorder point and quantity on ``as_of``."""
    if not series:
        raise ValueError("series is empty: a suggestion needs at least one day of history")
    f = forecast(series, policy.alpha)
    lead = policy.lead_time_days
    z = NormalDist().inv_cdf(policy.service_level)
    safety = _ceil(z * f.sigma * math.sqrt(lead))
    reorder_point = _ceil(f.rate * lead) + safety
    up_to = reorder_point + _ceil(f.rate * policy.review_days)
    stock = max(on_hand, 0)
    cover = stock / f.rate if f.rate > 0 else None
    stockout = None if cover is None else as_of + dt.timedelta(days=_ceil(cover))
    due = f.rate > 0 and stock <= reorder_point
    return Suggestion(
        on_hand=on_hand,
        forecast=f,
        days_of_cover=cover,
        stockout_date=stockout,
        safety_stock=safety,
        reorder_point=reorder_point,
        reorder_quantity=max(up_to - stock, 0) if due else 0,
        alert=_alert(stock, cover, lead, due),
    )


def _ceil(value: float) -> int:
    """Whole units up, ignoring float noise below 1e-9 (6.0000000001 is 6)."""
    return math.ceil(round(value, 9))


def _alert(stock: int, cover: float | None, lead: int, due: bool) -> Alert:
    if cover is not None and stock == 0:
        return Alert.OUT
    if cover is not None and cover <= lead:
        return Alert.STOCKOUT
    return Alert.REORDER if due else Alert.NONE


def advice(s: Suggestion, policy: Policy) -> str:
    """One line a merchant can act on ('' when nothing needs doing)."""
    order = f"order {s.reorder_quantity}" if s.reorder_quantity else "no order suggested"
    match s.alert:
        case Alert.OUT:
            return f"out of stock: {order} now"
        case Alert.STOCKOUT:
            return (
                f"stock-out forecast on {s.stockout_date}, inside the "
                f"{policy.lead_time_days}-day lead time: {order} now"
            )
        case Alert.REORDER:
            return f"at or below the reorder point of {s.reorder_point}: {order}"
    return ""
