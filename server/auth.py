"""Who is calling: bearer tokens resolved to enrolled devices, role guards."""

from __future__ import annotations

from typing import Any

from litestar import Request
from litestar.datastructures import State
from litestar.exceptions import NotAuthorizedException, PermissionDeniedException

from protocol.permissions import Device
from protocol.vocab import Role
from sync.http_transport import Unauthorized, bearer_token

from .core import Central


def provide_central(state: State) -> Central:
    """The running central node."""
    central: Central = state.central
    return central


async def provide_device(request: Request[Any, Any, Any], central: Central) -> Device:
    """The device behind the request's bearer token, else 401."""
    try:
        token = bearer_token(request.headers.get("authorization"))
    except Unauthorized as exc:
        raise NotAuthorizedException(str(exc)) from None
    device = await central.store.authenticate(token)
    if device is None:
        raise NotAuthorizedException("unknown or revoked token")
    return device


def require_office(device: Device) -> None:
    """403 unless ``device`` is a head-office device."""
    if device.role != Role.OFFICE:
        raise PermissionDeniedException("only head-office devices may manage devices")


def require_merchant_api(device: Device) -> None:
    """403 unless ``device`` is a merchant or head office."""
    if device.role not in (Role.MERCHANT, Role.OFFICE):
        raise PermissionDeniedException(f"role {device.role} may not use the merchant API")


def merchant_of(device: Device, requested: str = "") -> str:
    """The merchant a caller acts for: its own, or (office) the one it names."""
    require_merchant_api(device)
    if device.role == Role.MERCHANT and device.merchant_id:
        return device.merchant_id
    if device.role == Role.OFFICE and requested:
        return requested
    raise PermissionDeniedException("an office token must name merchant_id")
