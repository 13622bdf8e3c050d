"""The office pages' pure parts: plain words, money and time text, CSV, redirects."""

from __future__ import annotations

import csv
import io
from decimal import Decimal

from hypothesis import given
from hypothesis import strategies as st

from protocol.money import CURRENCY_EXPONENTS
from protocol.vocab import DocType, FailureReason, PodRelation, ShipmentStatus
from server.office.views import Column, Figure, Table
from server.office.web.export import filename, table_csv
from server.office.web.formatting import figure_text, money_text, row_texts, time_text
from server.office.web.login import safe_next
from server.office.web.plain_words import event_sentence, status_sentence
from tests.factories import CLASSES

EVENT_TYPES = list(CLASSES[DocType.SHIPMENT])
# digits inside: no fixed sentence contains a digit, so any match would be a leak
personal_text = st.from_regex(r"[A-Za-z ]{0,10}[0-9]{2}[A-Za-z ]{0,10}", fullmatch=True)


@given(
    st.sampled_from(EVENT_TYPES),
    st.dictionaries(st.sampled_from(["recipient_name", "note", "reason", "phone"]), personal_text),
    st.integers(min_value=100_000, max_value=10**9),
)
def test_history_sentences_never_repeat_payload_text_or_amounts(event_type, payload, amount):
    sentence = event_sentence(event_type, {**payload, "amount": amount})
    if sentence is not None:
        assert str(amount) not in sentence
        assert all(value not in sentence for value in payload.values())


def test_every_status_reason_and_relation_has_its_own_sentence():
    statuses = {status_sentence(s) for s in ShipmentStatus}
    assert len(statuses) == len(ShipmentStatus)
    reasons = {event_sentence("attempt_failed", {"reason": r.value}) for r in FailureReason}
    assert len(reasons) == len(FailureReason)
    relations = {event_sentence("delivered", {"relation": r.value}) for r in PodRelation}
    assert len(relations) == len(PodRelation)
    assert all("_" not in text for text in statuses | reasons | relations if text)
    assert event_sentence("conflict_resolved", {}) is None


@given(
    st.integers(min_value=-(10**15), max_value=10**15), st.sampled_from(sorted(CURRENCY_EXPONENTS))
)
def test_money_text_is_the_minor_units_scaled_by_the_currency_exponent(amount, currency):
    code, number = money_text(amount, currency).split(" ")
    assert code == currency
    assert Decimal(number) == Decimal(amount).scaleb(-CURRENCY_EXPONENTS[currency])
    assert money_text(amount, currency, with_code=False) == number


@given(st.integers(min_value=0, max_value=4_102_444_800_000), st.integers(0, 999_999))
def test_hlc_and_millisecond_times_read_the_same(ms, counter):
    assert time_text(f"{ms:013d}.{counter:06d}.dev-1") == time_text(ms)
    assert time_text(ms).endswith(" UTC")


def test_figures_read_as_a_person_would():
    assert figure_text(Figure("r", "Rate", 0.9345, "ratio")) == "93.5 %"
    assert figure_text(Figure("m", "Cash", 123456, "money", "EUR")) == "EUR 1234.56"
    assert figure_text(Figure("s", "Lag", 3900.0, "seconds")) == "1 h 05 min"
    assert figure_text(Figure("n", "Count", 12345)) == "12,345"
    assert figure_text(Figure("x", "Nothing", None)) == "-"


@given(st.lists(st.tuples(st.text(max_size=20), st.integers(0, 10**9)), max_size=8))
def test_csv_round_trips_text_and_money_cells(rows):
    columns = [
        Column("note", "Note"),
        Column("cod", "COD", "money", "currency"),
        Column("currency", "Currency"),
    ]
    table = Table("cod", "COD", columns, [[note, cod, "JPY"] for note, cod in rows])
    parsed = list(csv.reader(io.StringIO(table_csv(table), newline="")))
    assert parsed[0] == ["Note", "COD", "Currency"]
    assert len(parsed) == len(rows) + 1
    for (note, cod), line in zip(rows, parsed[1:], strict=True):
        assert line[0] == note or (line[0] == "'" + note and note[:1] in "=+-@\t\r")
        assert line[1:] == [str(cod), "JPY"]


def test_csv_cells_a_spreadsheet_would_run_are_quoted():
    table = Table("t", "T", [Column("a", "A"), Column("b", "B", "int")], [["=cmd()", -5]])
    assert table_csv(table).splitlines()[1] == "'=cmd(),-5"
    assert row_texts(table.columns, table.rows[0]) == ["=cmd()", "-5"]


@given(st.dictionaries(st.text(max_size=10), st.text(max_size=10), max_size=4))
def test_csv_file_names_are_plain(filters):
    name = filename(Table("shipments", "S", [], [], filters))
    assert name.endswith(".csv") and name.startswith("shipments")
    assert all(ch.isalnum() or ch in "_.-" for ch in name)


@given(st.text(max_size=60))
def test_login_only_redirects_within_the_office(target):
    chosen = safe_next(target)
    assert chosen.startswith("/office") and not chosen.startswith("//")
    assert chosen in (target, "/office/")


@given(
    st.fractions(min_value=0, max_value=1).map(float),
    st.integers(min_value=0, max_value=10**7),
)
def test_ratio_and_duration_cells_read_the_same_on_page_and_in_csv(ratio, seconds):
    columns = [Column("rate", "Rate", "ratio"), Column("wait", "Wait", "seconds")]
    page = row_texts(columns, [ratio, float(seconds)])
    sheet = row_texts(columns, [ratio, float(seconds)], for_csv=True)
    assert page[0] == sheet[0] + " %" and float(sheet[0]) == round(ratio * 100, 1)
    assert sheet[1] == str(seconds)
    hours, minutes = divmod(seconds // 60, 60)
    assert page[1] in (f"{seconds} s", f"{minutes} min", f"{hours} h {minutes:02d} min")
    assert row_texts(columns, [None, None]) == ["", ""]
