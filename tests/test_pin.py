"""The delivery PIN as a salted scrypt digest: what a stolen handheld holds."""

from __future__ import annotations

import hashlib

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from protocol.pin import (
    COST_N,
    MIN_COST_N,
    BadPinDigest,
    pin_digest,
    pin_matches,
)

SALT = bytes(range(16))


def test_the_digest_is_salted_scrypt_not_a_sha256_of_the_pin():
    digest = pin_digest("4321", SALT)
    assert digest.startswith(f"scrypt${COST_N}$8$1${SALT.hex()}$")
    assert hashlib.sha256(b"4321").hexdigest() not in digest
    assert pin_digest("4321", bytes(16)) != digest, "the same PIN with another salt"
    assert pin_matches("4321", digest) and pin_matches(" 4321 ", digest)
    assert not pin_matches("4322", digest)


@settings(max_examples=20, deadline=None)
@given(pin=st.from_regex(r"\A[0-9]{4,8}\Z"), other=st.from_regex(r"\A[0-9]{4,8}\Z"))
def test_only_the_pin_matches_its_digest(pin: str, other: str):
    digest = pin_digest(pin, SALT, MIN_COST_N)
    assert pin_matches(pin, digest)
    assert pin_matches(other, digest) == (other == pin)


@pytest.mark.parametrize(
    "digest",
    [
        "",
        hashlib.sha256(b"4321").hexdigest(),
        f"scrypt$16$8$1${SALT.hex()}${'00' * 32}",  # too cheap to guard anything
        f"scrypt${COST_N}$1$1${SALT.hex()}${'00' * 32}",
        f"scrypt${COST_N}$8$1$zz${'00' * 32}",
        f"bcrypt${COST_N}$8$1${SALT.hex()}${'00' * 32}",
    ],
)
def test_a_malformed_or_cheap_digest_is_refused(digest: str):
    with pytest.raises(BadPinDigest):
        pin_matches("4321", digest)
