"""Reorder suggestions (protocol.reorder) against series whose answers are worked out by hand."""

from __future__ import annotations

import datetime as dt
import math

import pytest
from hypothesis import given
from hypothesis import strategies as st

from protocol.reorder import (
    Alert,
    Method,
    Policy,
    croston_sba,
    daily_series,
    forecast,
    is_intermittent,
    ses,
    suggest,
)

AS_OF = dt.date(2031, 3, 10)


def test_daily_series_sums_each_day_and_fills_the_gaps():
    first, last = dt.date(2031, 3, 1), dt.date(2031, 3, 4)
    moves = [(dt.date(2031, 3, 2), 2), (dt.date(2031, 3, 2), 3), (dt.date(2031, 3, 4), 1)]
    moves.append((dt.date(2031, 2, 28), 9))  # before the window: left out
    assert daily_series(moves, first, last) == [0, 5, 0, 1]
    with pytest.raises(ValueError, match="before it starts"):
        daily_series([], last, first)


def test_ses_by_hand():
    # level 4; then 0.5*6 + 0.5*4 = 5; 0.5*5 + 0.5*5 = 5; again 5
    level, ahead = ses([4, 6, 5, 5], 0.5)
    assert (level, ahead) == (5.0, [4.0, 5.0, 5.0])
    f = forecast([4, 6, 5, 5], 0.5)
    assert f.method == Method.SES  # 4 days, 4 with demand: ADI 1
    assert f.sigma == pytest.approx(math.sqrt((2**2 + 0 + 0) / 3))


def test_croston_sba_by_hand():
    series = [0, 0, 6, 0, 0, 0, 3, 0]
    # first demand on day 3: size 6, interval 3 -> 0.75 * 6/3 = 1.5 for days 4..7
    # day 7 (4 days later): size 0.5*3 + 0.5*6 = 4.5, interval 0.5*4 + 0.5*3 = 3.5
    rate, ahead = croston_sba(series, 0.5)
    assert rate == pytest.approx(0.75 * 4.5 / 3.5)
    assert ahead == pytest.approx([1.5, 1.5, 1.5, 1.5, 0.75 * 4.5 / 3.5])
    assert is_intermittent(series)  # ADI 8 / 2 = 4 > 1.32
    f = forecast(series, 0.5)
    errors = [0 - 1.5, 0 - 1.5, 0 - 1.5, 3 - 1.5, 0 - 0.75 * 4.5 / 3.5]
    assert f.method == Method.SBA
    assert f.sigma == pytest.approx(math.sqrt(sum(e * e for e in errors) / 5))


def test_smooth_suggestion_by_hand():
    policy = Policy(lead_time_days=2, review_days=4, service_level=0.5, alpha=0.5)  # z = 0
    plenty = suggest(30, [4, 6, 5, 5], AS_OF, policy)
    # rate 5/day: cover 30/5 = 6 days; ROP 5*2 = 10; above it, nothing to order
    assert plenty.days_of_cover == pytest.approx(6.0)
    assert plenty.stockout_date == dt.date(2031, 3, 16)
    assert (plenty.safety_stock, plenty.reorder_point, plenty.reorder_quantity) == (0, 10, 0)
    assert plenty.alert == Alert.NONE
    low = suggest(8, [4, 6, 5, 5], AS_OF, policy)
    # cover 1.6 days: out on day 2, inside the 2-day lead time; order up to 10 + 5*4 = 30
    assert low.stockout_date == dt.date(2031, 3, 12)
    assert (low.reorder_point, low.reorder_quantity, low.alert) == (10, 22, Alert.STOCKOUT)
    # 95 %: z = 1.6449, sigma = sqrt(4/3) = 1.1547: 1.6449 * 1.1547 * sqrt(2) = 2.686 -> 3
    safe = suggest(12, [4, 6, 5, 5], AS_OF, Policy(2, 4, 0.95, 0.5))
    assert (safe.safety_stock, safe.reorder_point, safe.reorder_quantity) == (3, 13, 21)
    assert safe.alert == Alert.REORDER  # 12 <= 13, but 2.4 days of cover outlast the lead time


def test_intermittent_suggestion_by_hand():
    series = [0, 0, 6, 0, 0, 0, 3, 0]
    s = suggest(
        5, series, AS_OF, Policy(lead_time_days=7, review_days=7, service_level=0.5, alpha=0.5)
    )
    # rate 0.75 * 4.5 / 3.5 = 0.964/day: ROP ceil(6.75) = 7, up to 7 + 7 = 14
    assert s.forecast.method == Method.SBA
    assert (s.reorder_point, s.reorder_quantity) == (7, 9)
    assert s.days_of_cover == pytest.approx(5 / (0.75 * 4.5 / 3.5))  # 5.19 days
    assert s.stockout_date == dt.date(2031, 3, 16)
    assert s.alert == Alert.STOCKOUT


def test_constant_demand_needs_no_safety_stock():
    s = suggest(100, [3] * 30, AS_OF, Policy())  # default: 7 days lead, 14 review, 95 %
    assert (s.forecast.method, s.forecast.rate, s.forecast.sigma) == (Method.SES, 3.0, 0.0)
    assert (s.safety_stock, s.reorder_point, s.reorder_quantity) == (0, 21, 0)
    assert s.stockout_date == dt.date(2031, 4, 13)  # ceil(33.3) = 34 days after 10 March
    assert s.days_of_cover == pytest.approx(100 / 3)


def test_no_demand_and_no_stock():
    quiet = suggest(4, [0] * 10, AS_OF, Policy())
    assert quiet.forecast.method == Method.NONE
    assert (quiet.days_of_cover, quiet.stockout_date, quiet.reorder_quantity) == (None, None, 0)
    assert quiet.alert == Alert.NONE
    out = suggest(0, [2, 2, 2], AS_OF, Policy(lead_time_days=3, review_days=0))
    assert (out.stockout_date, out.alert, out.reorder_quantity) == (AS_OF, Alert.OUT, 6)
    with pytest.raises(ValueError, match="lead_time_days"):
        Policy(lead_time_days=0)
    with pytest.raises(ValueError, match="series is empty"):
        suggest(1, [], AS_OF, Policy())


@given(size=st.integers(1, 50), interval=st.integers(2, 10), repeats=st.integers(2, 20))
def test_regular_intermittent_demand_is_size_over_interval(size, interval, repeats):
    """Every ``interval`` days ``size`` units: SBA is exactly (1 - a/2) * size / interval."""
    series = ([0] * (interval - 1) + [size]) * repeats
    f = forecast(series, 0.1)
    assert f.method == Method.SBA
    assert f.rate == pytest.approx(0.95 * size / interval)


def test_agrees_with_statsforecast():
    """The values statsforecast 2.1.1 gives (CrostonSBA(), SimpleExponentialSmoothing(0.5))."""
    assert croston_sba([0, 0, 6, 0, 0, 0, 3, 0], 0.1)[0] == pytest.approx(1.74677419)
    assert croston_sba([0, 5, 0, 0, 0, 0, 0, 0, 0, 0], 0.1)[0] == pytest.approx(2.375)
    assert ses([4, 6, 5, 5], 0.5)[0] == pytest.approx(5.0)
