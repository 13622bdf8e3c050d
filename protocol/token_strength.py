"""How strong a chosen token must be: a pure check with a message naming the fix."""

from __future__ import annotations

MIN_LENGTH = 20
MIN_DISTINCT = 10
HOW_TO_MAKE = "python -c 'import secrets; print(secrets.token_urlsafe(24))'"


def token_weakness(token: str) -> str | None:
    """Why ``token`` is too weak to guard a device (None: strong enough).

    At least ``MIN_LENGTH`` characters of which ``MIN_DISTINCT`` differ, so
    ``"x"``, ``"password"`` or ``"aaaaaaaaaaaaaaaaaaaaaaaa"`` are refused; a
    ``secrets.token_urlsafe(24)`` (32 characters, 192 bits) always passes.
    """
    if token != token.strip() or any(c.isspace() for c in token):
        return "contains spaces"
    if len(token) < MIN_LENGTH:
        return (
            f"too short ({len(token)} characters, at least {MIN_LENGTH}): "
            f"make one with {HOW_TO_MAKE}"
        )
    if len(set(token)) < MIN_DISTINCT:
        return (
            f"too repetitive ({len(set(token))} distinct characters, at least {MIN_DISTINCT}): "
            f"make one with {HOW_TO_MAKE}"
        )
    return None
