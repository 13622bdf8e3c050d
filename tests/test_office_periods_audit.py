"""Office periods (pure) and the audit log's append-only table (in process)."""

from __future__ import annotations

import datetime as dt
import sqlite3
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from server.office.loader import load_audit
from server.office.periods import Span, expand_period, local_day, named_span
from server.office.words import plain, who_text
from server.store import CentralStore

WEDNESDAY = dt.date(2026, 12, 9)


def test_named_periods_are_calendar_days_ending_today() -> None:
    assert named_span("today", WEDNESDAY) == Span("2026-12-09", "2026-12-09")
    assert named_span("yesterday", WEDNESDAY) == Span("2026-12-08", "2026-12-08")
    assert named_span("week", WEDNESDAY) == Span("2026-12-07", "2026-12-09")  # from Monday
    assert named_span("month", WEDNESDAY) == Span("2026-12-01", "2026-12-09")
    assert Span("2026-12-07", "2026-12-09").days() == ["2026-12-07", "2026-12-08", "2026-12-09"]
    with pytest.raises(ValueError, match="'period'"):
        named_span("fortnight", WEDNESDAY)


def test_a_named_period_replaces_from_and_to_and_a_range_keeps_them() -> None:
    given = {"period": "today", "from": "2026-01-01", "merchant": "m"}
    assert expand_period(given, WEDNESDAY) == {
        "from": "2026-12-09",
        "to": "2026-12-09",
        "merchant": "m",
    }
    ranged = {"period": "range", "from": "2026-01-01", "to": "2026-01-02"}
    assert expand_period(ranged, WEDNESDAY) == {"from": "2026-01-01", "to": "2026-01-02"}


def test_days_are_the_operations_days() -> None:
    late = int(dt.datetime(2026, 12, 8, 23, 30, tzinfo=dt.UTC).timestamp() * 1000)
    assert local_day(late, ZoneInfo("UTC")) == "2026-12-08"
    assert local_day(late, ZoneInfo("Europe/Sofia")) == "2026-12-09"
    assert not Span("2026-12-09", "2026-12-09").holds("")  # an unknown day is in no period
    assert Span().holds("")


def test_codes_and_references_read_in_words() -> None:
    names = {"depot": {"d1": "Haarlem depot"}, "courier": {"c1": "Jan"}}
    assert plain("kind", "short_collection") == "Collected less than the COD due"
    assert plain("status", "some_new_status") == "Some new status"
    assert who_text("desk:d1", names) == "Cash desk of Haarlem depot"
    assert who_text("courier:c9", names) == "Courier c9"  # no name: the id
    assert who_text("office", names) == "Head office"


async def test_the_audit_log_is_append_only(tmp_path: Path) -> None:
    async with await CentralStore.open(tmp_path / "central.db") as store:
        await store.append_audit(1, "dev-1", "revoke", "device:d2", "device token revoked", "lost")
        assert await load_audit(store) == [
            (1, 1, "dev-1", "revoke", "device:d2", "device token revoked", "lost")
        ]
        for sql in ("UPDATE office_audit SET reason = 'x'", "DELETE FROM office_audit"):
            with pytest.raises(sqlite3.IntegrityError, match="append-only"):
                async with store.transaction() as db:
                    await db.execute(sql)
        assert len(await load_audit(store)) == 1
