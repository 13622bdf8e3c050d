"""Central's ``PUT /sync/proofs/{sha256}``: the shared upload route over central's folder."""

from __future__ import annotations

from litestar.types import ControllerRouterHandler

from protocol.permissions import Device
from sync.proof_http import proof_route

from ..core import Central
from .files import ProofFiles


class CentralProofs:
    """Accepted files go to the folder beside central's database."""

    def __init__(self, files: ProofFiles):
        self.files = files

    async def has(self, sha256: str) -> bool:
        return await self.files.has(sha256)

    async def put(self, sha256: str, data: bytes, doc_id: str) -> None:
        await self.files.write(sha256, data)


def proof_handlers(central: Central) -> list[ControllerRouterHandler]:
    """The upload route over ``central``'s store and proof folder."""

    async def authenticate(token: str) -> Device | None:
        return await central.store.authenticate(token)

    sink = CentralProofs(ProofFiles.beside(central.db_path))
    return [proof_route(lambda: central.store, authenticate, sink)]
