"""The recipient's delivery PIN, kept as a salted scrypt digest, never as the PIN.

A handheld holds only the digest (in the shipment's ``info.otp_digest``), so a
PIN read off a stolen handheld costs one scrypt per guess: at the default cost
(N=2**14, r=8, p=1: 16 MiB) some 40-330 ms on one core, so every 4-digit PIN
takes 7 to 55 minutes and every 6-digit one 11 hours to 4 days per core, where
an unsalted SHA-256 gave them all up in a hundredth of a second. The PIN is
never the only check: central re-checks the PIN the courier recorded and raises
a conflict when it does not match (``server.pins``).

The digest carries its parameters: ``scrypt$<N>$<r>$<p>$<salt hex>$<hash hex>``.
Pure functions: the caller supplies the salt (``secrets.token_bytes(16)``).
"""

from __future__ import annotations

import hashlib
import hmac

SCHEME = "scrypt"
COST_N = 2**14  # what central uses for new PINs
BLOCK_R = 8
PARALLEL_P = 1
MIN_COST_N = 2**10  # a digest claiming less work than this is refused
MAX_COST_N = 2**16
MAXMEM = 128 * BLOCK_R * MAX_COST_N * 2
PIN_DIGITS = 6


class BadPinDigest(ValueError):
    """A stored digest that is not ``scrypt$N$r$p$salt$hash`` within bounds."""


def normal_pin(pin: str) -> bytes:
    """The PIN as hashed: surrounding spaces dropped."""
    return pin.strip().encode()


def pin_digest(pin: str, salt: bytes, n: int = COST_N) -> str:
    """The stored form of ``pin`` with ``salt`` (16 random bytes) at cost ``n``."""
    if not MIN_COST_N <= n <= MAX_COST_N or len(salt) < 8:
        raise BadPinDigest(f"scrypt cost {n} or a {len(salt)}-byte salt is out of bounds")
    key = _scrypt(normal_pin(pin), salt, n, BLOCK_R, PARALLEL_P)
    return f"{SCHEME}${n}${BLOCK_R}${PARALLEL_P}${salt.hex()}${key.hex()}"


def pin_matches(pin: str, digest: str) -> bool:
    """True when ``pin`` is the PIN behind ``digest`` (one scrypt; constant-time compare).

    Raises ``BadPinDigest`` when the digest is malformed or claims too little work.
    """
    try:
        scheme, n_text, r_text, p_text, salt_hex, key_hex = digest.split("$")
        n, r, p = int(n_text), int(r_text), int(p_text)
        salt, key = bytes.fromhex(salt_hex), bytes.fromhex(key_hex)
    except ValueError:
        raise BadPinDigest("a PIN digest is scrypt$N$r$p$salt$hash") from None
    if scheme != SCHEME or not MIN_COST_N <= n <= MAX_COST_N or (r, p) != (BLOCK_R, PARALLEL_P):
        raise BadPinDigest(f"PIN digest parameters {scheme} N={n} r={r} p={p} are not allowed")
    if len(salt) < 8 or len(key) != 32:
        raise BadPinDigest("a PIN digest has a salt of 8+ bytes and a 32-byte hash")
    return hmac.compare_digest(_scrypt(normal_pin(pin), salt, n, r, p), key)


def _scrypt(pin: bytes, salt: bytes, n: int, r: int, p: int) -> bytes:
    return hashlib.scrypt(pin, salt=salt, n=n, r=r, p=p, maxmem=MAXMEM, dklen=32)
