"""Money: integer minor units and an ISO 4217 currency, never floats."""

from __future__ import annotations

import msgspec
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from protocol.errors import CurrencyMismatch, InvalidMoney, ProtocolError
from protocol.money import (
    CURRENCY_EXPONENTS,
    MAX_MINOR_UNITS,
    Money,
    check_currency,
    minor_units,
    total,
)

amounts = st.integers(min_value=-(10**12), max_value=10**12)
currencies = st.sampled_from(sorted(CURRENCY_EXPONENTS))


# --- minor_units: the Yjs boundary ---------------------------------------------


def test_integral_float_from_yjs_becomes_an_int() -> None:
    value = minor_units(1250.0)
    assert value == 1250
    assert type(value) is int


@pytest.mark.parametrize("value", [0, 1, -1, 1250, MAX_MINOR_UNITS, -MAX_MINOR_UNITS])
def test_integers_in_range_pass_unchanged(value: int) -> None:
    assert minor_units(value) == value


@pytest.mark.parametrize(
    ("value", "message"),
    [
        (12.5, "not a whole number"),
        (0.1, "not a whole number"),
        (float("nan"), "not a whole number"),
        (float("inf"), "not a whole number"),
        (True, "boolean"),
        ("1250", "got str"),
        (None, "got NoneType"),
        (MAX_MINOR_UNITS + 1, "out of range"),
        (float(2**60), "out of range"),
    ],
)
def test_minor_units_rejects(value: object, message: str) -> None:
    with pytest.raises(InvalidMoney, match=message) as info:
        minor_units(value, field="payload.amount")
    assert str(info.value).startswith("payload.amount:")


# --- Money ---------------------------------------------------------------------


def test_float_amount_with_a_fraction_is_rejected() -> None:
    with pytest.raises(InvalidMoney, match=r"12\.5"):
        Money(12.5, "EUR")  # type: ignore[arg-type]


def test_integral_float_amount_is_stored_as_an_int() -> None:
    money = Money(1250.0, "EUR")  # type: ignore[arg-type]
    assert type(money.amount) is int
    assert money == Money(1250, "EUR")
    assert money.format() == "EUR 12.50"
    assert type((money + Money(1, "EUR")).amount) is int


@pytest.mark.parametrize("code", ["XXX", "eur", "EURO", "", "BTC"])
def test_unknown_currency_is_rejected(code: str) -> None:
    with pytest.raises(InvalidMoney, match=repr(code)) as info:
        Money(100, code)
    assert not isinstance(info.value, CurrencyMismatch)
    with pytest.raises(InvalidMoney):
        check_currency(code)


def test_money_errors_are_protocol_errors_with_codes() -> None:
    with pytest.raises(ProtocolError) as info:
        Money(1, "EUR") + Money(1, "USD")
    assert info.value.code == "currency_mismatch"
    assert isinstance(info.value, InvalidMoney)


@pytest.mark.parametrize(
    "operation",
    [
        lambda: Money(100, "EUR") + Money(100, "USD"),
        lambda: Money(100, "EUR") - Money(100, "GBP"),
        lambda: total([Money(1, "EUR"), Money(1, "USD")], "EUR"),
        lambda: total([Money(1, "USD")], "EUR"),
    ],
)
def test_mixing_currencies_raises_currency_mismatch(operation: object) -> None:
    with pytest.raises(CurrencyMismatch, match="convert first"):
        operation()  # type: ignore[operator]


def test_arithmetic_in_one_currency() -> None:
    assert Money(1250, "EUR") + Money(250, "EUR") == Money(1500, "EUR")
    assert Money(1250, "EUR") - Money(1500, "EUR") == Money(-250, "EUR")
    assert -Money(10, "EUR") == Money(-10, "EUR")
    assert Money.zero("JPY") == Money(0, "JPY")
    assert total([], "EUR") == Money(0, "EUR")
    assert total([Money(1, "EUR"), Money(2, "EUR")], "EUR") == Money(3, "EUR")


def test_money_is_immutable_and_hashable() -> None:
    money = Money(1, "EUR")
    with pytest.raises(AttributeError):
        money.amount = 2  # type: ignore[misc]
    assert len({Money(1, "EUR"), Money(1, "EUR"), Money(1, "USD")}) == 2


@pytest.mark.parametrize(
    ("money", "text"),
    [
        (Money(1250, "EUR"), "EUR 12.50"),
        (Money(5, "EUR"), "EUR 0.05"),
        (Money(0, "EUR"), "EUR 0.00"),
        (Money(-5, "EUR"), "EUR -0.05"),
        (Money(-123456, "USD"), "USD -1234.56"),
        (Money(1200, "JPY"), "JPY 1200"),
        (Money(-7, "VND"), "VND -7"),
        (Money(1234, "KWD"), "KWD 1.234"),
        (Money(5, "BHD"), "BHD 0.005"),
    ],
)
def test_format(money: Money, text: str) -> None:
    assert money.format() == text


@settings(max_examples=200)
@given(a=amounts, b=amounts, currency=currencies)
def test_arithmetic_is_exact_integer_arithmetic(a: int, b: int, currency: str) -> None:
    x, y = Money(a, currency), Money(b, currency)
    assert (x + y).amount == a + b
    assert (x - y).amount == a - b
    assert (x + y) - y == x
    assert type((x + y).amount) is int


@settings(max_examples=200)
@given(amount=amounts, currency=currencies)
def test_format_round_trips_to_minor_units(amount: int, currency: str) -> None:
    code, number = Money(amount, currency).format().split(" ")
    assert code == currency
    exp = CURRENCY_EXPONENTS[currency]
    if exp:
        whole, frac = number.lstrip("-").split(".")
        assert len(frac) == exp
        parsed = int(whole) * 10**exp + int(frac)
    else:
        parsed = abs(int(number))
    assert parsed * (-1 if number.startswith("-") else 1) == amount


@pytest.mark.parametrize("codec", [msgspec.json, msgspec.msgpack])
def test_money_round_trips_on_the_wire(codec: object) -> None:
    money = Money(1250, "EUR")
    data = codec.encode(money)  # type: ignore[attr-defined]
    assert codec.decode(data, type=Money) == money  # type: ignore[attr-defined]


@pytest.mark.parametrize(
    "body",
    [b'{"amount": 12.5, "currency": "EUR"}', b'{"amount": 1, "currency": "XXX"}'],
)
def test_decoding_bad_money_is_a_validation_error(body: bytes) -> None:
    with pytest.raises(msgspec.ValidationError):
        msgspec.json.decode(body, type=Money)
