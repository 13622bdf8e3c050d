"""The proof of delivery on the office shipment page, and ``/office/proofs/{sha256}``.

A delivery names its signature and photo by sha256; the page shows them once
the device uploaded them (:mod:`server.proofs`), with the place, the device,
the courier and the time. The files are served only to an office session.
"""

from __future__ import annotations

from dataclasses import dataclass

from litestar import Controller, Response, get
from litestar.exceptions import NotFoundException
from litestar.params import FromPath

from protocol.permissions import Device
from sync.proofs import delivery_proofs

from ...core import Central
from ...proofs import ProofFiles
from .formatting import time_text
from .pages import LOGIN_PAGE
from .plain_words import RELATION_WORDS


@dataclass(frozen=True, slots=True)
class ProofView:
    """One delivery's proof as the page shows it; a file is ``""`` until uploaded."""

    when: str
    device: str
    actor: str
    recipient: str
    relation: str
    place: str
    signature: str  # sha256 when central holds the file
    photo: str
    missing: list[str]  # "signature", "photo": named by the event, not uploaded yet
    event_id: str = ""  # the delivered event


async def proof_views(central: Central, doc_id: str) -> list[ProofView]:
    """The proofs of the shipment's deliveries, with the files central holds."""
    files = ProofFiles.beside(central.db_path)
    views = []
    for p in await delivery_proofs(central.store, doc_id):
        held = {
            kind: sha
            for kind, sha in (("signature", p.signature_sha256), ("photo", p.photo_sha256))
            if sha and await files.has(sha)
        }
        named = [
            k for k, sha in (("signature", p.signature_sha256), ("photo", p.photo_sha256)) if sha
        ]
        place = "" if p.lat is None or p.lon is None else f"{p.lat:.5f}, {p.lon:.5f}"
        views.append(
            ProofView(
                when=time_text(p.hlc),
                device=p.device,
                actor=p.actor,
                recipient=p.recipient_name,
                relation=RELATION_WORDS.get(p.relation, p.relation),
                place=place or "not recorded",
                signature=held.get("signature", ""),
                photo=held.get("photo", ""),
                missing=[k for k in named if k not in held],
                event_id=p.event_id,
            )
        )
    return views


class ProofFilesPage(Controller):
    path = "/office/proofs"
    include_in_schema = False

    @get("/{sha256:str}", opt=LOGIN_PAGE)
    async def proof(
        self, sha256: FromPath[str], office_device: Device, central: Central
    ) -> Response[bytes]:
        """A signature or photo central holds, for an office session."""
        try:
            found = await ProofFiles.beside(central.db_path).read(sha256)
        except ValueError as exc:
            raise NotFoundException(str(exc)) from None
        if found is None:
            raise NotFoundException(f"sha256: no proof file {sha256} here (not uploaded yet?)")
        data, media_type = found
        headers = {"cache-control": "private, max-age=86400", "x-content-type-options": "nosniff"}
        return Response(data, media_type=media_type, headers=headers)
