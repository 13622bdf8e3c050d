"""``/api/v1/devices``: enrol (token shown once), list, revoke. Office tokens only."""

from __future__ import annotations

from typing import Annotated

from litestar import Controller, get, post
from litestar.exceptions import NotFoundException
from litestar.params import Parameter

from protocol.ids import new_id
from protocol.permissions import Device

from ..auth import require_office
from ..core import Central
from ..office.words import plain
from .schemas import DeviceOut, EnrolDevice, EnrolledDevice


class DeviceController(Controller):
    path = "/api/v1/devices"
    tags = ["devices"]

    @post("/")
    async def enrol(self, data: EnrolDevice, device: Device, central: Central) -> EnrolledDevice:
        """Enrol (or re-enrol) a device; the answer carries its token, shown once."""
        require_office(device)
        new = Device(
            data.device_id or new_id(),
            data.role,
            data.depot_id or None,
            data.courier_id or None,
            data.merchant_id or None,
        )
        token = await central.store.enroll(new, data.label)
        for kind, party, name in (
            ("courier", data.courier_id, data.courier_name),
            ("depot", data.depot_id, data.depot_name),
        ):
            if party and name.strip():
                await central.store.set_party_name(kind, party, name.strip())
        await central.office_actions.audit(
            device.id, "enrol", f"device:{new.id}", f"{plain('role', new.role)}: {data.label!r}"
        )
        central.disconnect(new.id)  # sockets opened with a previous token
        return EnrolledDevice(new.id, new.role, token)

    @get("/")
    async def list_devices(self, device: Device, central: Central) -> list[DeviceOut]:
        """Every enrolled device, revoked ones included."""
        require_office(device)
        return [
            DeviceOut(d.id, d.role, d.depot_id, d.courier_id, d.merchant_id, label, seen, revoked)
            for d, label, seen, revoked in await central.store.devices()
        ]

    @post("/{device_id:str}/revoke", status_code=200)
    async def revoke(
        self,
        device_id: str,
        device: Device,
        central: Central,
        reason: Annotated[str, Parameter(max_length=500)] = "",
    ) -> dict[str, str]:
        """Revoke a device: its next request is refused, its open sockets close (4401).
        ``?reason=`` goes to the office audit log."""
        require_office(device)
        if not await central.store.revoke(device_id):
            raise NotFoundException(f"no live device {device_id!r}")
        await central.office_actions.audit(
            device.id, "revoke", f"device:{device_id}", "device token revoked", reason
        )
        central.disconnect(device_id)
        return {"device_id": device_id, "status": "revoked"}
