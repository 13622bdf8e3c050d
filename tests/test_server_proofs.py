"""``PUT /sync/proofs/{sha256}`` on the real central process, and the office's view of it.

A courier's handheld pushes a delivery naming a signature and a "photo" by
their sha256 (the photo is not a picture, as a tampered handheld could send);
then every refusal of the upload endpoint is checked to store nothing, and
the accepted file is served to the office only.
"""

from __future__ import annotations

import asyncio
import hashlib
from pathlib import Path

import httpx
import pytest

from protocol.commands import DocCommand
from protocol.events import Delivered, OutForDelivery, ProofOfDelivery
from protocol.ids import new_id
from protocol.proofs import MAX_PROOF_BYTES
from sync import commit_commands

from .browser.world import office_session
from .edge_pages_helpers import png
from .server_helpers import clock, node, routed, seed

pytest_plugins = ["tests.server_fixtures"]

SIGNATURE = png(6, 3, shade=10)
NOT_A_PICTURE = b"<html>a tampered handheld sends a page</html>"


def sha(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


async def _delivered_with_proof(
    central, names, tmp_path: Path, signature: bytes = SIGNATURE
) -> tuple[str, str, str]:
    """A delivery by the test courier's handheld naming ``signature`` and NOT_A_PICTURE."""
    [shipment_id] = await seed(central, names, 1)
    await routed(central, names, tmp_path, [shipment_id])
    device_id, token = central.enrol("courier", depot_id=names.depot, courier_id=names.courier)
    hlc = clock(device_id)
    common = {"device": device_id, "actor": names.courier}
    pod = ProofOfDelivery(
        recipient_name="Ann",
        relation="self",
        device_time_ms=1,
        signature_sha256=sha(signature),
        photo_sha256=sha(NOT_A_PICTURE),
        lat=52.37,
        lon=4.89,
    )
    events = [
        OutForDelivery(
            id=new_id(),
            hlc=hlc.now().encode(),
            payload=OutForDelivery.Body(courier_id=names.courier),
            **common,
        ),
        Delivered(id=new_id(), hlc=hlc.now().encode(), payload=pod, **common),
    ]
    async with node(central, tmp_path / "hh.db", device_id, token) as handheld:
        await handheld.sync()
        command = DocCommand.build("deliver", "shipment", events)
        await commit_commands(handheld.store, [(shipment_id, command)], device_id=device_id)
        assert (await handheld.sync()).rejected == 0
    return shipment_id, device_id, token


def test_upload_refusals_store_nothing_and_the_office_sees_the_signature(
    central, names, tmp_path: Path
) -> None:
    shipment_id, _, token = asyncio.run(_delivered_with_proof(central, names, tmp_path))
    _, other = central.enrol("courier", depot_id=names.depot, courier_id=names.courier2)

    def put(name: str, body: bytes, who: str | None = token, doc: str = shipment_id):
        headers = {"authorization": f"Bearer {who}"} if who else {}
        return httpx.put(
            f"{central.url}/sync/proofs/{name}",
            params={"doc_id": doc},
            content=body,
            headers=headers,
            timeout=30,
        )

    refusals = [
        (put(sha(SIGNATURE), SIGNATURE, who=None), 401, "authorization"),
        (put(sha(SIGNATURE), SIGNATURE, who=central.office_token), 403, "handhelds"),
        (put("ABC", SIGNATURE), 400, "sha256"),
        (put(sha(SIGNATURE), SIGNATURE, doc="nope"), 400, "doc_id"),
        (put(sha(SIGNATURE), SIGNATURE, who=other), 409, "refers to this file"),
        (put(sha(png(1, 1)), png(1, 1)), 409, "refers to this file"),
        (put(sha(SIGNATURE), png(2, 2)), 422, "sha256 is not the name"),
        (put(sha(NOT_A_PICTURE), NOT_A_PICTURE), 415, "not a PNG"),
        (put(sha(SIGNATURE), b"\x89PNG" + b"0" * MAX_PROOF_BYTES), 413, ""),
    ]
    for answer, status, words in refusals:
        assert answer.status_code == status, (status, answer.text)
        assert words.lower() in answer.text.lower()
    assert not list(Path(f"{central.db_path}.proofs").glob(f"{sha(SIGNATURE)}*"))

    with office_session(central) as office:
        page = office.get(f"/office/shipments/{shipment_id}").text
        assert "Not uploaded by the device yet: signature, photo." in page
        assert office.get(f"/office/proofs/{sha(SIGNATURE)}").status_code == 404

        assert put(sha(SIGNATURE), SIGNATURE).status_code == 201
        assert put(sha(SIGNATURE), SIGNATURE).status_code == 200  # idempotent
        page = office.get(f"/office/shipments/{shipment_id}").text
        assert f'src="/office/proofs/{sha(SIGNATURE)}"' in page
        assert "52.37000, 4.89000" in page and "Not uploaded by the device yet: photo." in page
        served = office.get(f"/office/proofs/{sha(SIGNATURE)}")
        assert served.content == SIGNATURE and served.headers["content-type"] == "image/png"
    anonymous = httpx.get(f"{central.url}/office/proofs/{sha(SIGNATURE)}", timeout=10)
    assert anonymous.status_code in (303, 401) and SIGNATURE not in anonymous.content


@pytest.mark.parametrize("name", ["../central.db", "a" * 63, "A" * 64])
def test_office_proof_names_must_be_a_sha256(central, name: str) -> None:
    with office_session(central) as office:
        assert office.get(f"/office/proofs/{name}").status_code == 404


def test_an_upload_in_pieces_resumes_from_the_offset_central_reports(
    central, names, tmp_path: Path
) -> None:
    drawn = png(7, 5, shade=40)
    shipment_id, _, token = asyncio.run(_delivered_with_proof(central, names, tmp_path, drawn))
    auth = {"authorization": f"Bearer {token}"}

    def status(name: str) -> tuple[int, str, str]:
        answer = httpx.head(
            f"{central.url}/sync/proofs/{name}", params={"doc_id": shipment_id}, headers=auth
        )
        return answer.status_code, answer.headers["proof-stored"], answer.headers["upload-offset"]

    def piece(name: str, body: bytes, start: int, total: int) -> httpx.Response:
        headers = {**auth, "content-range": f"bytes {start}-{start + len(body) - 1}/{total}"}
        return httpx.put(
            f"{central.url}/sync/proofs/{name}",
            params={"doc_id": shipment_id},
            content=body,
            headers=headers,
            timeout=30,
        )

    name, total = sha(drawn), len(drawn)
    assert status(name) == (200, "none", "0")
    refusals = [
        (piece(name, drawn[:20], 0, MAX_PROOF_BYTES + 1), 413, "larger than"),
        (piece(name, drawn[:20], 5, total), 416, "continues at byte 0"),
        (piece(sha(NOT_A_PICTURE), NOT_A_PICTURE[:20], 0, 99), 415, "not a png"),
    ]
    bad_header = httpx.put(
        f"{central.url}/sync/proofs/{name}",
        params={"doc_id": shipment_id},
        content=drawn[:20],
        headers={**auth, "content-range": "bytes 0-30/70"},
    )
    refusals.append((bad_header, 400, "does not match a body of 20 bytes"))
    for answer, code, words in refusals:
        assert answer.status_code == code, (code, answer.text)
        assert words in answer.text.lower() or words in answer.text
    assert status(name) == (200, "none", "0")

    first = piece(name, drawn[:20], 0, total)  # then the connection is cut
    assert (first.status_code, first.headers["upload-offset"]) == (202, "20")
    assert status(name) == (200, "partial", "20")
    again = piece(name, drawn[:20], 0, total)  # a client that forgot where it was
    assert (again.status_code, again.headers["upload-offset"]) == (416, "20")
    assert piece(name, drawn[20:], 20, total).status_code == 201
    assert (
        httpx.head(
            f"{central.url}/sync/proofs/{name}", params={"doc_id": shipment_id}, headers=auth
        ).headers["proof-stored"]
        == "complete"
    )
    with office_session(central) as office:
        assert office.get(f"/office/proofs/{name}").content == drawn

    # pieces that do not hash to the name are dropped whole: the next upload starts over
    fake = png(3, 3)
    assert piece(sha(NOT_A_PICTURE), fake[:10], 0, len(fake)).status_code == 202
    last = piece(sha(NOT_A_PICTURE), fake[10:], 10, len(fake))
    assert last.status_code == 422 and "not the name" in last.text
    assert status(sha(NOT_A_PICTURE)) == (200, "none", "0")
    assert not list(Path(f"{central.db_path}.proofs").glob(f"{sha(NOT_A_PICTURE)}*"))
