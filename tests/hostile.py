"""Acting as a hostile device against the real central: forged updates pushed raw.

A hostile device does not use the edge's commands: it builds an update that
appends whatever event maps (and sets whatever info fields) it likes on the
state it pulled, and pushes it over HTTP as itself.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from protocol.commands import DocCommand
from protocol.hlc import HybridClock
from protocol.ids import new_id
from protocol.wire import Hello, ItemResult, PullRequest, PushItem, PushRequest
from sync.documents import apply_command
from sync.http_transport import HttpChannel

from .browser.world import office_session

if TYPE_CHECKING:
    from .server_fixtures import Central


@dataclass(frozen=True)
class Hostile:
    """An enrolled device pushing raw updates: ``(device id, token)`` and its clock."""

    central: Central
    device_id: str
    token: str

    def stamp(self, actor: str, wall_ms: int, kind: str, **payload: Any) -> dict[str, Any]:
        """A raw event map of type ``kind`` stamped at ``wall_ms`` (an HLC that parses)."""
        hlc = HybridClock(self.device_id, lambda: wall_ms).now().encode()
        event = {"id": new_id(), "type": kind, "hlc": hlc, "device": self.device_id}
        return event | {"actor": actor, "payload": payload}

    async def state(self, doc_id: str) -> bytes | None:
        """The document as this device can pull it from central (``None``: not visible)."""
        async with HttpChannel(self.central.url, self.token) as channel:
            answer = await channel.pull(PullRequest(Hello(self.device_id), resync=[doc_id]))
        found = [u.update for u in answer.entering if u.doc_id == doc_id]
        return found[0] if found else None

    async def push(
        self,
        doc_id: str,
        doc_type: str,
        events: list[dict[str, Any]],
        info: dict[str, Any] | None = None,
        *,
        state: bytes | None = None,
        client_id: int = 7,
    ) -> ItemResult:
        """Append ``events`` (and set ``info``) on ``state`` and push it raw; the answer."""
        command = DocCommand("forged", doc_type, info=info or {}, events=events)
        _, update = apply_command(state, command, client_id)
        async with HttpChannel(self.central.url, self.token) as channel:
            answer = await channel.push(
                PushRequest(Hello(self.device_id), [PushItem(doc_id, doc_type, update)])
            )
        return answer.results[0]


def hostile(central: Central, role: str, **keys: str) -> Hostile:
    """Enrol a device of ``role`` and act as it."""
    device_id, token = central.enrol(role, **keys)
    return Hostile(central, device_id, token)


def office_pages(central: Central, shipment_ids: list[str]) -> dict[str, int]:
    """The status of every office page that folds events, and of the tables."""
    paths = ["/office/", "/office/overview/figures"]
    paths += [f"/office/shipments/{sid}" for sid in shipment_ids]
    paths += [
        f"/office/tables/{name}"
        for name in ("shipments", "cod", "couriers", "depots", "discrepancies", "conflicts")
    ]
    paths += ["/office/tables/kpis", "/office/tables/exceptions", "/office/tables/shipments.csv"]
    with office_session(central) as client:
        return {p: client.get(p).status_code for p in paths}


def tracking_number(central: Central, shipment_id: str) -> str:
    with central.api() as api:
        return str(api.get(f"/api/v1/shipments/{shipment_id}").json()["tracking_number"])


def book_info(owner: str, depot: str, day: str, courier: str = "") -> dict[str, str]:
    """A courier cash book's info; ``courier`` (the scope key) defaults to ``owner``."""
    return {
        "owner_kind": "courier",
        "owner_id": owner,
        "courier_id": courier or owner,
        "day": day,
        "currency": "EUR",
        "depot_id": depot,
    }
