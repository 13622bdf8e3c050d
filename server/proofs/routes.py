"""Central's ``PUT``/``HEAD /sync/proofs/{sha256}``: the shared upload routes over central's
folder (pieces of files not yet whole in its ``.parts`` subfolder)."""

from __future__ import annotations

from litestar.types import ControllerRouterHandler

from protocol.permissions import Device
from sync.proof_http import proof_routes
from sync.proof_parts import PartialUploads

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
    """The upload routes over ``central``'s store and proof folder."""

    async def authenticate(token: str) -> Device | None:
        return await central.store.authenticate(token)

    files = ProofFiles.beside(central.db_path)
    parts = PartialUploads(files.folder / ".parts")
    return [*proof_routes(lambda: central.store, authenticate, CentralProofs(files), parts)]
