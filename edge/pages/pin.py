"""Sign-in PINs (a courier's on the handheld, the staff's on the depot node), scrypt-hashed.

PINs live in the replica's meta table. A courier sets one on first use; depot
staff get one from ``parcelsync edge staff-pin``. Every sign-in checks it.
Five wrong PINs in a row lock sign-in for five minutes, so the 10^4..10^8
PINs cannot be tried from the browser one after another.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets

from ..errors import InvalidInput
from ..store import EdgeStore

PIN_KEY = "edge.pages.pin."
FAILURES_KEY = "edge.pages.pin_failures."
MAX_FAILURES, LOCK_MS = 5, 5 * 60 * 1000
_N, _R, _P = 2**14, 8, 1


class PinLocked(InvalidInput):
    code = "pin_locked"


def check_pin_format(pin: str) -> str:
    """``pin`` if it is 4 to 8 digits, else ``InvalidInput``."""
    if not (pin.isdigit() and pin.isascii() and 4 <= len(pin) <= 8):
        raise InvalidInput("the PIN must be 4 to 8 digits")
    return pin


def hash_pin(pin: str, salt: bytes) -> str:
    """The stored form of ``pin``: ``scrypt$n$r$p$salt$hash`` (hex)."""
    digest = hashlib.scrypt(pin.encode(), salt=salt, n=_N, r=_R, p=_P, dklen=32)
    return f"scrypt${_N}${_R}${_P}${salt.hex()}${digest.hex()}"


def pin_matches(pin: str, stored: str) -> bool:
    """True when ``pin`` hashes to ``stored`` (constant-time compare)."""
    _, n, r, p, salt, digest = stored.split("$")
    got = hashlib.scrypt(
        pin.encode(), salt=bytes.fromhex(salt), n=int(n), r=int(r), p=int(p), dklen=32
    )
    return hmac.compare_digest(got.hex(), digest)


async def has_pin(store: EdgeStore, person: str) -> bool:
    """True once ``person`` has a PIN on this node."""
    return await store.meta(PIN_KEY + person) is not None


async def set_pin(store: EdgeStore, person: str, pin: str) -> None:
    """Store the PIN of ``person`` (hashed with a fresh salt)."""
    stored = hash_pin(check_pin_format(pin), secrets.token_bytes(16))
    await store.set_meta(PIN_KEY + person, stored)
    await store.set_meta(FAILURES_KEY + person, "0:0")


async def verify_pin(store: EdgeStore, person: str, pin: str, now_ms: int) -> bool:
    """Check a sign-in; ``PinLocked`` after too many wrong PINs in a row."""
    stored = await store.meta(PIN_KEY + person)
    if stored is None:
        return False
    failures = await store.meta(FAILURES_KEY + person) or "0:0"
    count, since = (int(x) for x in failures.split(":"))
    if count >= MAX_FAILURES and now_ms - since < LOCK_MS:
        minutes = max(1, (LOCK_MS - (now_ms - since)) // 60_000)
        raise PinLocked(f"too many wrong PINs: try again in {minutes} min, or ask the depot")
    if pin_matches(pin, stored):
        await store.set_meta(FAILURES_KEY + person, "0:0")
        return True
    count = 0 if count >= MAX_FAILURES else count
    await store.set_meta(FAILURES_KEY + person, f"{count + 1}:{now_ms}")
    return False
