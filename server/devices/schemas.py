"""Device enrolment messages."""

from __future__ import annotations

from typing import Annotated

import msgspec

from protocol.vocab import Role

Id = Annotated[str, msgspec.Meta(min_length=1, max_length=100, pattern=r"^[A-Za-z0-9._:-]+$")]
Key = Annotated[str, msgspec.Meta(max_length=100)]


class EnrolDevice(msgspec.Struct, forbid_unknown_fields=True):
    """A device to enrol. Courier devices need depot and courier; merchants a merchant."""

    role: Role
    device_id: Id | None = None
    depot_id: Key = ""
    courier_id: Key = ""
    merchant_id: Key = ""
    label: Annotated[str, msgspec.Meta(max_length=200)] = ""
    # the names people read in head office's pages for this device's courier and depot
    courier_name: Annotated[str, msgspec.Meta(max_length=200)] = ""
    depot_name: Annotated[str, msgspec.Meta(max_length=200)] = ""

    def __post_init__(self) -> None:
        needs = {
            Role.COURIER: ("depot_id", "courier_id"),
            Role.DEPOT: ("depot_id",),
            Role.MERCHANT: ("merchant_id",),
            Role.OFFICE: (),
        }[self.role]
        missing = [name for name in needs if not getattr(self, name)]
        if missing:
            raise ValueError(f"a {self.role} device needs {', '.join(missing)}")


class EnrolledDevice(msgspec.Struct):
    """The new device and its token. The token is shown only here, once."""

    device_id: str
    role: Role
    token: str


class DeviceOut(msgspec.Struct):
    device_id: str
    role: Role
    depot_id: str | None
    courier_id: str | None
    merchant_id: str | None
    label: str
    last_seen_at: int | None
    revoked_at: int | None
