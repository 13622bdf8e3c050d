"""The tracking page's form token: CSRF protection for a public, sessionless page.

A double-submit token, signed: the page sets a random nonce in the ``track_form``
cookie (HttpOnly, SameSite=lax, path ``/track``) and puts
``HMAC(secret, nonce, tracking number)`` in each form. A POST passes only when
its form carries the token of the nonce its cookie holds, for that parcel; a
sibling site can neither read the cookie nor sign a token for a nonce it planted.
The secret is the office's (``central.secret_file``).
"""

from __future__ import annotations

import hashlib
import hmac
import secrets

from litestar.datastructures import Cookie

COOKIE = "track_form"
COOKIE_PATH = "/track"


def nonce_of(cookies: dict[str, str]) -> str:
    """The nonce the browser holds, or "" when it holds none that reads."""
    nonce = cookies.get(COOKIE, "")
    return nonce if len(nonce) == 32 and all(c in "0123456789abcdef" for c in nonce) else ""


def new_nonce() -> str:
    """A fresh nonce for the ``track_form`` cookie."""
    return secrets.token_hex(16)


def nonce_cookie(nonce: str, secure: bool) -> Cookie:
    """The cookie that carries ``nonce``."""
    return Cookie(
        key=COOKIE,
        value=nonce,
        path=COOKIE_PATH,
        httponly=True,
        secure=secure,
        samesite="lax",
    )


def form_token(secret: bytes, nonce: str, tracking_number: str) -> str:
    """The token the forms of ``tracking_number`` carry for the browser holding ``nonce``."""
    message = f"track form {nonce} {tracking_number}".encode()
    return hmac.new(secret, message, hashlib.sha256).hexdigest()


def token_ok(secret: bytes, nonce: str, tracking_number: str, token: str) -> bool:
    """True when ``token`` was signed for this nonce and parcel."""
    expected = form_token(secret, nonce, tracking_number)
    return bool(nonce) and hmac.compare_digest(expected, token)
