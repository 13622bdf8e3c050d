"""Hybrid logical clock: monotonic, causal, text-sortable, robust to bad wall clocks."""

from __future__ import annotations

import itertools
import re

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from protocol.errors import ProtocolError
from protocol.hlc import MAX_COUNTER, HybridClock, Timestamp

HOUR_MS = 3_600_000
T0 = 1_763_900_000_000  # a realistic epoch-ms reading


class FakeWall:
    """An injected wall clock the test moves by hand."""

    def __init__(self, ms: int) -> None:
        self.ms = ms

    def __call__(self) -> int:
        return self.ms

    def advance(self, ms: int) -> None:
        self.ms += ms


# 13 digits of ms last until the year 2286; keep one ms spare for a counter overflow.
walls = st.integers(min_value=0, max_value=9_999_999_999_998)
counters = st.integers(min_value=0, max_value=MAX_COUNTER)
nodes = st.text(
    alphabet=st.characters(codec="utf-8", exclude_characters="."), min_size=1, max_size=8
)
timestamps = st.builds(Timestamp, walls, counters, nodes)


# --- Timestamp -----------------------------------------------------------------


def test_encode_is_fixed_width_and_readable() -> None:
    assert Timestamp(T0, 7, "hh-1").encode() == "1763900000000.000007.hh-1"
    assert Timestamp(5, 0, "n").encode() == "0000000000005.000000.n"


@settings(max_examples=200)
@given(stamp=timestamps)
def test_decode_inverts_encode(stamp: Timestamp) -> None:
    assert Timestamp.decode(stamp.encode()) == stamp


@settings(max_examples=200)
@given(stamps=st.lists(timestamps, min_size=2, max_size=20))
def test_encoded_strings_sort_exactly_like_timestamps(stamps: list[Timestamp]) -> None:
    by_stamp = [s.encode() for s in sorted(stamps)]
    by_text = sorted(s.encode() for s in stamps)
    assert by_text == by_stamp
    for a in stamps:
        for b in stamps:
            assert (a < b) == (a.encode() < b.encode())
            assert (a == b) == (a.encode() == b.encode())


def test_timestamp_orders_by_wall_then_counter_then_node() -> None:
    assert Timestamp(1, 9, "z") < Timestamp(2, 0, "a")
    assert Timestamp(1, 1, "z") < Timestamp(1, 2, "a")
    assert Timestamp(1, 1, "a") < Timestamp(1, 1, "b")
    assert sorted([Timestamp(1, 1, "b"), Timestamp(1, 1, "a")])[0].node == "a"


def test_timestamp_does_not_compare_with_other_types() -> None:
    with pytest.raises(TypeError):
        _ = Timestamp(1, 0, "a") < "0000000000001.000000.a"  # type: ignore[operator]


@pytest.mark.parametrize(
    "text",
    ["", "garbage", "1763900000000", "1763900000000.x.node", "abc.000001.node", "1.2"],
)
def test_decode_errors_name_the_input(text: str) -> None:
    with pytest.raises(ProtocolError) as info:
        Timestamp.decode(text)
    assert repr(text) in str(info.value)


def test_decode_rejects_non_strings_with_a_protocol_error() -> None:
    with pytest.raises(ProtocolError, match="42"):
        Timestamp.decode(42)  # type: ignore[arg-type]


# --- HybridClock ---------------------------------------------------------------


def test_node_id_may_not_contain_the_separator() -> None:
    with pytest.raises(ProtocolError, match=re.escape("'hand.held'")):
        HybridClock("hand.held", FakeWall(T0))


def test_now_follows_the_wall_clock_when_it_moves_forward() -> None:
    wall = FakeWall(T0)
    clock = HybridClock("hh-1", wall)
    assert clock.now() == Timestamp(T0, 0, "hh-1")
    assert clock.now() == Timestamp(T0, 1, "hh-1")
    wall.advance(5)
    assert clock.now() == Timestamp(T0 + 5, 0, "hh-1")
    assert clock.last == Timestamp(T0 + 5, 0, "hh-1")


def test_now_keeps_counting_when_the_wall_clock_jumps_back() -> None:
    wall = FakeWall(T0)
    clock = HybridClock("hh-1", wall)
    first = clock.now()
    wall.advance(-2 * HOUR_MS)  # NTP correction, manual change, flat battery...
    second = clock.now()
    assert second > first
    assert second == Timestamp(T0, 1, "hh-1")


def test_counter_overflow_carries_into_the_wall_time() -> None:
    wall = FakeWall(T0)
    clock = HybridClock("hh-1", wall, last=Timestamp(T0, MAX_COUNTER, "hh-1"))
    assert clock.now() == Timestamp(T0 + 1, 0, "hh-1")


def test_a_clock_resumes_after_its_persisted_last_reading() -> None:
    saved = Timestamp(T0 + HOUR_MS, 3, "hh-1")
    clock = HybridClock("hh-1", FakeWall(T0), last=saved)
    assert clock.now() > saved


@settings(max_examples=200)
@given(readings=st.lists(walls, min_size=1, max_size=50))
def test_now_is_strictly_monotonic_whatever_the_wall_clock_does(readings: list[int]) -> None:
    wall = FakeWall(readings[0])
    clock = HybridClock("hh-1", wall)
    issued = []
    for reading in readings:
        wall.ms = reading
        issued.append(clock.now())
    assert all(a < b for a, b in itertools.pairwise(issued))
    assert all(a.encode() < b.encode() for a, b in itertools.pairwise(issued))
    assert all(s.wall_ms >= r for s, r in zip(issued, readings, strict=True))


# One step of a clock's life: read now(), or observe a remote timestamp; the
# wall clock may have moved anywhere before each step.
steps = st.lists(
    st.tuples(walls, st.one_of(st.none(), timestamps)),
    min_size=1,
    max_size=40,
)


@settings(max_examples=200)
@given(start=walls, history=steps)
def test_observe_is_after_local_and_remote(
    start: int, history: list[tuple[int, Timestamp | None]]
) -> None:
    wall = FakeWall(start)
    clock = HybridClock("local", wall)
    previous = clock.last
    for reading, remote in history:
        wall.ms = reading
        if remote is None:
            stamp = clock.now()
        else:
            stamp = clock.observe(remote)
            assert stamp > remote
            assert stamp.encode() > remote.encode()
        assert stamp > previous
        assert stamp.node == "local"
        assert clock.last == stamp
        previous = stamp
    assert clock.now() > previous


def test_observe_uses_the_wall_clock_when_it_is_ahead_of_everything() -> None:
    clock = HybridClock("local", FakeWall(T0 + 10))
    assert clock.observe(Timestamp(T0, 5, "remote")) == Timestamp(T0 + 10, 0, "local")


def test_observe_bumps_the_larger_counter_at_equal_wall_time() -> None:
    wall = FakeWall(T0)
    clock = HybridClock("local", wall)
    clock.now()  # (T0, 0)
    assert clock.observe(Timestamp(T0, 41, "remote")) == Timestamp(T0, 42, "local")
    assert clock.observe(Timestamp(T0, 3, "remote")) == Timestamp(T0, 43, "local")


@pytest.mark.parametrize("skew_hours", [-6, -3, -1, 1, 3, 6])
def test_a_handheld_with_a_wrong_wall_clock_orders_after_what_it_observed(
    skew_hours: int,
) -> None:
    central_wall = FakeWall(T0)
    handheld_wall = FakeWall(T0 + skew_hours * HOUR_MS)
    central = HybridClock("central", central_wall)
    handheld = HybridClock("hh-7", handheld_wall)

    # The depot assigns a route; the handheld syncs it and then records a delivery.
    assigned = central.now()
    handheld.observe(assigned)
    handheld_wall.advance(1_000)
    delivered = handheld.now()
    assert delivered > assigned
    assert delivered.encode() > assigned.encode()

    # Events recorded offline afterwards keep their order on the handheld...
    later = [handheld.now() for _ in range(5)]
    assert sorted([*later, delivered, assigned]) == [assigned, delivered, *later]

    # ...and once central sees them, its own next events come after them too.
    central_wall.advance(2_000)
    central.observe(later[-1])
    resolved = central.now()
    assert resolved > later[-1] > assigned


def test_a_handheld_hours_behind_keeps_its_events_after_the_observed_one() -> None:
    handheld_wall = FakeWall(T0 - 5 * HOUR_MS)
    handheld = HybridClock("hh-7", handheld_wall)
    observed = Timestamp(T0, 9, "central")
    handheld.observe(observed)
    stamps = []
    for _ in range(1_000):
        handheld_wall.advance(1)  # its own clock ticks, still hours behind
        stamps.append(handheld.now())
    assert all(s > observed for s in stamps)
    assert stamps == sorted(stamps)
    assert {s.wall_ms for s in stamps} == {T0}
