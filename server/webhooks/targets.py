"""Where a webhook may point: a public http(s) host, unless the operator allows
private ones (``allow_private``, for tests and closed networks).

A URL is checked at registration (its syntax, a literal address, ``localhost``,
and where its name resolves) and again before every delivery, after resolving
its name, so a name that later points inside the network is not followed.
Refused: loopback, link-local (169.254.0.0/16, where cloud metadata lives),
private ranges, unspecified, multicast and reserved addresses, and any IPv6
address that maps one of those.
"""

from __future__ import annotations

import asyncio
import ipaddress
import socket

import httpx


def _forbidden(address: str) -> str | None:
    """Why a connection to ``address`` is refused, or ``None``."""
    ip = ipaddress.ip_address(address.split("%", 1)[0])
    if isinstance(ip, ipaddress.IPv6Address) and ip.ipv4_mapped is not None:
        ip = ip.ipv4_mapped
    for kind in ("loopback", "link_local", "private", "unspecified", "multicast", "reserved"):
        if getattr(ip, f"is_{kind}"):
            return f"{address} is a {kind.replace('_', '-')} address"
    return None


def parsed(url: str) -> httpx.URL:
    """``url`` parsed, or ``ValueError`` saying why it cannot be a webhook."""
    try:
        parts = httpx.URL(url)
    except (httpx.InvalidURL, ValueError) as exc:
        raise ValueError(f"url: not a valid URL: {exc}") from None
    if parts.scheme not in ("http", "https") or not parts.host:
        raise ValueError("url: must be http:// or https:// with a host")
    return parts


def literal_refusal(url: str, allow_private: bool) -> str | None:
    """Why ``url`` is refused without a DNS lookup (syntax, an address, localhost)."""
    try:
        host = parsed(url).host
    except ValueError as exc:
        return str(exc)
    if allow_private:
        return None
    if host == "localhost" or host.endswith(".localhost"):
        return f"url: {host} is this machine"
    try:
        reason = _forbidden(host)
    except ValueError:
        return None  # a name: see resolved_refusal
    return f"url: {reason}" if reason else None


async def resolved_refusal(url: str, allow_private: bool) -> str | None:
    """Why ``url`` is refused, its name resolved now; ``None`` if it may be called."""
    reason = literal_refusal(url, allow_private)
    if reason or allow_private:
        return reason
    parts = parsed(url)
    port = parts.port or (443 if parts.scheme == "https" else 80)
    try:
        infos = await asyncio.get_running_loop().getaddrinfo(
            parts.host, port, type=socket.SOCK_STREAM
        )
    except OSError as exc:
        return f"url: {parts.host} does not resolve: {exc}"
    for info in infos:
        refused = _forbidden(str(info[4][0]))
        if refused:
            return f"url: {parts.host} resolves to {refused}"
    return None
