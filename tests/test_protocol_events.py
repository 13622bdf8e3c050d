"""Events: typed decoding of what Yjs gives back, and the reverse."""

from __future__ import annotations

import typing
from typing import Any

import msgspec
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from protocol.errors import InvalidEvent, ProtocolError
from protocol.events import (
    CodCollected,
    ConflictResolved,
    Delivered,
    Event,
    decode_event,
    encode_event,
    event_type,
)
from protocol.money import MAX_MINOR_UNITS
from protocol.vocab import DocType, FailureReason, PodRelation
from tests.factories import CLASSES, SAMPLE_PAYLOADS, UNIONS, ev, raw_event, yjs_numbers

ALL_KINDS = [(doc_type, kind) for doc_type, classes in CLASSES.items() for kind in classes]


def test_every_event_type_has_a_sample_payload() -> None:
    tags = {cls.__struct_config__.tag for u in UNIONS.values() for cls in typing.get_args(u)}
    assert tags == set(SAMPLE_PAYLOADS)


@pytest.mark.parametrize(("doc_type", "kind"), ALL_KINDS)
def test_decode_inverts_encode_for_every_event_type(doc_type: DocType, kind: str) -> None:
    event = ev(kind, 1_000)
    raw = encode_event(event)
    assert raw["type"] == kind == event_type(event)
    assert decode_event(doc_type, raw) == event


@pytest.mark.parametrize(("doc_type", "kind"), ALL_KINDS)
def test_encoded_events_are_plain_data_that_yjs_can_store(doc_type: DocType, kind: str) -> None:
    raw = encode_event(ev(kind, 1_000))

    def plain(value: Any) -> bool:
        if isinstance(value, dict):
            return all(isinstance(k, str) and plain(v) for k, v in value.items())
        if isinstance(value, list):
            return all(plain(v) for v in value)
        return value is None or type(value) in (str, int, float, bool)

    assert plain(raw)
    assert set(raw) == {"type", "id", "hlc", "device", "actor", "payload"}


@pytest.mark.parametrize(("doc_type", "kind"), ALL_KINDS)
def test_decode_restores_integers_that_yjs_turned_into_floats(doc_type: DocType, kind: str) -> None:
    event = ev(kind, 1_000)
    from_yjs = yjs_numbers(encode_event(event))
    decoded = decode_event(doc_type, from_yjs)
    assert decoded == event
    assert encode_event(decoded) == encode_event(event)


def test_integral_floats_become_ints_in_nested_payloads() -> None:
    raw = yjs_numbers(raw_event("inspected", 5))
    assert raw["payload"]["items"][0]["quantity"] == 2.0
    decoded = decode_event(DocType.RETURN, raw)
    quantity = decoded.payload.items[0].quantity  # type: ignore[attr-defined]
    assert quantity == 2
    assert type(quantity) is int


def test_cod_amount_from_yjs_is_an_int() -> None:
    raw = raw_event("cod_collected", 5, amount=1250.0)
    event = decode_event(DocType.SHIPMENT, raw)
    assert isinstance(event, CodCollected)
    assert event.payload.amount == 1250
    assert type(event.payload.amount) is int


def test_float_fields_keep_their_fractions() -> None:
    event = decode_event(DocType.SHIPMENT, raw_event("delivered", 5, lat=52.0, lon=4.875))
    assert isinstance(event, Delivered)
    assert event.payload.lat == 52.0
    assert event.payload.lon == 4.875
    assert event.payload.relation is PodRelation.SELF


def test_unknown_fields_are_ignored_for_forward_compatibility() -> None:
    raw = raw_event("attempt_failed", 5, reason="not_home", added_in_v2="x")
    raw["added_in_v2"] = {"anything": 1}
    event = decode_event(DocType.SHIPMENT, raw)
    assert event.payload.reason is FailureReason.NOT_HOME  # type: ignore[attr-defined]


# --- rejections ------------------------------------------------------------------


def _rejects(doc_type: DocType, raw: Any, *fragments: str) -> InvalidEvent:
    with pytest.raises(InvalidEvent) as info:
        decode_event(doc_type, raw)
    message = str(info.value)
    assert str(doc_type) in message
    for fragment in fragments:
        assert fragment in message
    assert isinstance(info.value, ProtocolError)
    assert info.value.code == "invalid_event"
    return info.value


@pytest.mark.parametrize(
    ("doc_type", "kind", "field"),
    [
        (DocType.SHIPMENT, "cod_collected", "amount"),
        (DocType.RETURN, "refunded", "amount"),
        (DocType.CASHBOOK, "collected", "amount"),
        (DocType.CASHBOOK, "handed_over", "amount"),
        (DocType.CASHBOOK, "reversal", "amount"),
    ],
)
def test_fractional_amounts_are_rejected_with_the_field_path(
    doc_type: DocType, kind: str, field: str
) -> None:
    raw = raw_event(kind, 5, **{field: 12.5})
    _rejects(doc_type, raw, f"$.payload.{field}", "float")


def test_amount_out_of_float64_integer_range_is_rejected() -> None:
    raw = raw_event("cod_collected", 5, amount=float(MAX_MINOR_UNITS + 1))
    _rejects(DocType.SHIPMENT, raw, "payload.amount", "out of range")


def test_unknown_currency_is_rejected_with_the_field_name() -> None:
    _rejects(DocType.SHIPMENT, raw_event("cod_collected", 5, currency="XXX"), "payload.currency")


def test_wrong_tag_is_rejected() -> None:
    raw = raw_event("delivered", 5)
    raw["type"] = "teleported"
    _rejects(DocType.SHIPMENT, raw, "$.type", "teleported")


def test_missing_tag_is_rejected() -> None:
    raw = raw_event("delivered", 5)
    del raw["type"]
    _rejects(DocType.SHIPMENT, raw, "type")


@pytest.mark.parametrize(
    ("doc_type", "kind"),
    [
        (DocType.SHIPMENT, "collected"),  # a cash entry in a shipment
        (DocType.SHIPMENT, "inspected"),  # a return event in a shipment
        (DocType.RETURN, "delivered"),
        (DocType.RETURN, "handed_over"),
        (DocType.CASHBOOK, "cod_collected"),
        (DocType.CASHBOOK, "conflict_resolved"),
        (DocType.CASHBOOK, "created"),
    ],
)
def test_events_of_another_document_type_are_rejected(doc_type: DocType, kind: str) -> None:
    _rejects(doc_type, raw_event(kind, 5), "$.type", repr(kind))


def test_conflict_resolved_belongs_to_shipments_and_returns() -> None:
    raw = raw_event("conflict_resolved", 5, status="lost")
    for doc_type in (DocType.SHIPMENT, DocType.RETURN):
        assert isinstance(decode_event(doc_type, raw), ConflictResolved)


@pytest.mark.parametrize(
    ("mutate", "fragments"),
    [
        (lambda r: r["payload"].update(reason="overslept"), ("$.payload.reason",)),
        (lambda r: r["payload"].pop("reason"), ("reason", "$.payload")),
        (lambda r: r.pop("payload"), ("payload",)),
        (lambda r: r.pop("hlc"), ("hlc",)),
        (lambda r: r.update(device=7), ("$.device",)),
        (lambda r: r["payload"].update(note=["x"]), ("$.payload.note",)),
    ],
)
def test_field_errors_name_the_field(mutate: Any, fragments: tuple[str, ...]) -> None:
    raw = raw_event("attempt_failed", 5)
    mutate(raw)
    _rejects(DocType.SHIPMENT, raw, *fragments)


def test_nested_list_errors_name_the_index() -> None:
    raw = raw_event("inspected", 5)
    raw["payload"]["items"][1]["grade"] = "mint"
    _rejects(DocType.RETURN, raw, "$.payload.items[1].grade")


def test_fractional_integer_fields_are_rejected() -> None:
    raw = raw_event("restocked", 5, quantity=1.5)
    _rejects(DocType.RETURN, raw, "$.payload.quantity")


@pytest.mark.parametrize("raw", [None, "delivered", 42, [], {}])
def test_non_maps_are_rejected(raw: Any) -> None:
    _rejects(DocType.SHIPMENT, raw)


def test_boolean_is_not_an_amount() -> None:
    _rejects(DocType.SHIPMENT, raw_event("cod_collected", 5, amount=True), "payload.amount")


# --- properties --------------------------------------------------------------------


def test_sort_key_is_hlc_then_id() -> None:
    a = ev("created", 5, id="b")
    b = ev("created", 5, id="a")
    c = ev("created", 4, id="z")
    assert sorted([a, b, c], key=lambda e: e.sort_key) == [c, b, a]


def test_events_are_immutable() -> None:
    event: Event = ev("created", 5)
    with pytest.raises(AttributeError):
        event.hlc = "x"  # type: ignore[misc]


currencies = st.sampled_from(["EUR", "USD", "JPY", "KWD"])
money_amounts = st.integers(min_value=1, max_value=MAX_MINOR_UNITS)


@settings(max_examples=200)
@given(
    doc_kind=st.sampled_from(
        [
            (DocType.SHIPMENT, "cod_collected"),
            (DocType.RETURN, "refunded"),
            (DocType.CASHBOOK, "collected"),
            (DocType.CASHBOOK, "deposited"),
        ]
    ),
    event_uuid=st.uuids(),
    hlc_ms=st.integers(min_value=0, max_value=9_999_999_999_999),
    amount=money_amounts,
    currency=currencies,
    through_yjs=st.booleans(),
)
def test_money_events_round_trip_exactly(
    doc_kind: tuple[DocType, str],
    event_uuid: Any,
    hlc_ms: int,
    amount: int,
    currency: str,
    through_yjs: bool,
) -> None:
    doc_type, kind = doc_kind
    event = ev(kind, hlc_ms, id=str(event_uuid), amount=amount, currency=currency)
    raw = encode_event(event)
    if through_yjs:
        raw = yjs_numbers(raw)
    decoded = decode_event(doc_type, raw)
    assert decoded == event
    assert decoded.payload.amount == amount  # type: ignore[attr-defined]
    assert type(decoded.payload.amount) is int  # type: ignore[attr-defined]


@settings(max_examples=200)
@given(
    kind=st.sampled_from(["cod_collected", "collected", "refunded"]),
    amount=st.floats(allow_nan=False, allow_infinity=False).filter(lambda f: not f.is_integer()),
)
def test_any_fractional_amount_is_rejected(kind: str, amount: float) -> None:
    doc_type = next(d for d, classes in CLASSES.items() if kind in classes)
    with pytest.raises(InvalidEvent, match=r"payload\.amount"):
        decode_event(doc_type, raw_event(kind, 5, amount=amount))


def test_encode_event_output_is_msgpack_serialisable() -> None:
    for kind in SAMPLE_PAYLOADS:
        raw = encode_event(ev(kind, 5))
        assert msgspec.msgpack.decode(msgspec.msgpack.encode(raw)) == raw
