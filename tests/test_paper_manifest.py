"""The depot's route manifest: ``parcelsync edge manifest`` on a depot synced with central."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

from click.testing import CliRunner

from edge.cli import edge

from .browser.world import office_session
from .paper_helpers import pdf_text, scanned

if TYPE_CHECKING:
    from .server_fixtures import Central, Names

pytest_plugins = ["tests.server_fixtures"]
DAY = "2031-05-06"


def run(*args: str) -> tuple[int, str]:
    result = CliRunner().invoke(edge, list(args))
    return result.exit_code, result.output


def test_manifest_lists_a_couriers_stops_in_route_order(
    central: Central, names: Names, tmp_path: Path
):
    shipments = [
        {
            "order_ref": f"M-{i}",
            "currency": "EUR",
            "cod_amount": 1000 * i,
            "depot_id": names.depot,
            "merchant_id": names.merchant,
            "recipient_name": f"Recipient {i}",
            "address": f"Keizersgracht {i}",
            "postcode": "1015 CJ",
            "city": "Amsterdam",
        }
        for i in (1, 2, 3)
    ]
    with central.api() as api:
        made = api.post("/api/v1/shipments/bulk", json={"shipments": shipments}).json()
    first, second, other = (r["tracking_number"] for r in made["results"])
    device, token = central.enrol("depot", depot_id=names.depot)
    db = str(tmp_path / "depot.db")
    enrol = ["enroll", "--db", db, "--device-id", device, "--role", "depot"]
    assert run(*enrol, "--depot", names.depot, "--upstream", central.url, "--token", token)[0] == 0
    assert run("sync", "--db", db)[0] == 0
    for code, courier, seq in ((second, names.courier, 1), (first, names.courier, 2)):
        assert (
            run("assign", "--db", db, code, "--courier", courier, "--day", DAY, "--seq", str(seq))[
                0
            ]
            == 0
        )
    assert (
        run("assign", "--db", db, other, "--courier", names.courier2, "--day", DAY, "--seq", "1")[0]
        == 0
    )
    out = tmp_path / "manifest.pdf"
    code, output = run(
        "manifest", "--db", db, "--day", DAY, "--courier", names.courier, "--out", str(out)
    )
    assert code == 0, output
    assert f"{names.courier} on {DAY}: 2 stops" in output
    text = pdf_text(out.read_bytes())
    assert text.index(second) < text.index(first) and other not in text
    assert "Recipient 2" in text and "Keizersgracht 1" in text and "EUR 30.00" in text
    barcodes = scanned(out.read_bytes(), tmp_path, dpi=400)
    assert sorted(t for _, t in barcodes) == sorted([first, second])

    # head office prints the same manifest once the depot has synced
    assert run("sync", "--db", db)[0] == 0
    query = {"depot": names.depot, "courier": names.courier, "day": DAY}
    with office_session(central) as client:
        office = client.get("/office/manifest.pdf", params=query)
        bad_day = client.get("/office/manifest.pdf", params=query | {"day": "6 May"})
        nobody = client.get("/office/manifest.pdf", params=query | {"courier": "C-none"})
    assert office.status_code == 200 and office.headers["content-type"] == "application/pdf"
    printed = pdf_text(office.content)
    assert printed.index(second) < printed.index(first) and other not in printed
    assert bad_day.status_code == 400 and "day" in bad_day.text
    assert nobody.status_code == 404 and "C-none has no stops" in nobody.text


def test_manifest_refuses_with_one_line(central: Central, names: Names, tmp_path: Path):
    device, token = central.enrol("depot", depot_id=names.depot)
    db = str(tmp_path / "depot.db")
    enrol = ["enroll", "--db", db, "--device-id", device, "--role", "depot", "--depot", names.depot]
    assert run(*enrol, "--upstream", central.url, "--token", token)[0] == 0
    out = str(tmp_path / "m.pdf")
    for day, message in (("06/05/2031", "is not a day"), (DAY, "has no stops")):
        code, output = run(
            "manifest", "--db", db, "--day", day, "--courier", names.courier, "--out", out
        )
        assert code == 1 and output.startswith("error: ") and message in output, output
        assert output.count("\n") == 1
    assert not Path(out).exists()
