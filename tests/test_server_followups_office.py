"""Head office's follow-ups over the wire: lost (with liability) and found again from the
CLI, attempts before the automatic return per merchant, ``late`` for every slot format."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any

from click.testing import CliRunner

from edge import commands as c
from parcelsync_cli import main
from protocol.vocab import Role

from .followup_helpers import day_after, edge_node
from .server_helpers import office_rows
from .test_server_followups import create, detail, routed

if TYPE_CHECKING:
    from .server_fixtures import Central, Names

pytest_plugins = ["tests.server_fixtures"]


def office_cli(central: Central, *args: str) -> Any:
    base = ["--url", central.url, "--token", central.office_token]
    return CliRunner().invoke(main, ["office", args[0], *base, *args[1:]])


def status(central: Central, sid: str) -> str:
    with central.api() as api:
        return str(api.get(f"/api/v1/shipments/{sid}").json()["status"])


def test_head_office_marks_a_parcel_lost_and_found_again_from_the_cli(
    central: Central, names: Names
) -> None:
    _, token = central.enrol("merchant", merchant_id=names.merchant)
    sid = create(central, token, names, "L-1")["id"]
    blank = office_cli(central, "lost", sid, "--liable", " ")
    assert blank.exit_code != 0 and "liable" in blank.output
    not_held = office_cli(central, "decide", sid, "--day", "2999-01-01")
    assert not_held.exit_code != 0 and "status: shipment is created" in not_held.output
    early = office_cli(central, "found", sid)
    assert early.exit_code != 0 and "only a lost shipment" in early.output
    lost = office_cli(central, "lost", sid, "--liable", "depot sorting belt", "--note", "scan gap")
    assert lost.exit_code == 0, lost.output
    assert status(central, sid) == "lost"
    with central.api(token) as api:
        assert (
            api.post(f"/api/v1/office/shipments/{sid}/lost", json={"liable": "x"}).status_code
            == 403
        )
    with central.api() as api:
        twice = api.post(f"/api/v1/office/shipments/{sid}/lost", json={"liable": "x"})
        assert twice.status_code == 409 and detail(twice).startswith("status:")
        assert (
            api.post("/api/v1/office/shipments/nope/lost", json={"liable": "x"}).status_code == 404
        )
    found = office_cli(central, "found", sid, "--note", "behind the belt")
    assert found.exit_code == 0 and "now at_depot" in found.output
    with central.api(token) as api:
        history = api.get(f"/api/v1/shipments/{sid}/history").json()
    lost_entry, found_entry = history[-2], history[-1]
    assert lost_entry["type"] == "marked_lost" and "depot sorting belt" in lost_entry["what"]
    assert lost_entry["why"] == "scan gap" and lost_entry["who"] == found_entry["who"]
    assert found_entry["type"] == "found" and names.depot in found_entry["what"]
    assert found_entry["why"] == "behind the belt"


async def test_attempts_before_the_automatic_return_are_set_per_merchant(
    central: Central, names: Names, tmp_path: Path
) -> None:
    _, token = central.enrol("merchant", merchant_id=names.merchant)
    _, other = central.enrol("merchant", merchant_id=names.merchant + "-b")
    with central.api() as api:
        zero = api.put(
            f"/api/v1/office/merchants/{names.merchant}/max-attempts", json={"max_attempts": 0}
        )
        assert zero.status_code == 400 and "max_attempts" in zero.text
    done = office_cli(central, "max-attempts", names.merchant, "1")
    assert done.exit_code == 0 and "1 attempts" in done.output
    one = create(central, token, names, "A-1")["id"]
    three = create(central, other, names, "A-2")["id"]
    today = central.today().isoformat()
    async with (
        edge_node(central, names, tmp_path / "depot.db", Role.DEPOT) as depot,
        edge_node(central, names, tmp_path / "hh.db", Role.COURIER, names.courier) as hh,
    ):
        await routed(depot, one, names.courier, today)
        await routed(depot, three, names.courier, today)
        await hh.sync()
        first = await c.fail(hh.ctx, one, "not_home")
        assert first.status == "returning_to_origin"  # folded offline, by the created event
        assert (await c.fail(hh.ctx, three, "not_home")).status == "attempt_failed"
        await hh.sync()
        assert (status(central, one), status(central, three)) == (
            "returning_to_origin",
            "attempt_failed",
        )
        assert (await c.fail(hh.ctx, three, "new_date_requested")).status == "on_hold"
        await hh.sync()
        tomorrow = day_after(central.today(), 1)
        decided = office_cli(central, "decide", three, "--day", tomorrow, "--reason", "asked")
        assert decided.exit_code == 0 and "now attempt_failed" in decided.output
        await hh.sync()
        (stop,) = await c.load_route(hh.ctx, tomorrow)
        assert stop.doc_id == three


def test_late_for_every_slot_format_the_api_accepts(central: Central, names: Names) -> None:
    _, token = central.enrol("merchant", merchant_id=names.merchant)
    with central.api(token) as api:
        odd = api.post(
            "/api/v1/shipments",
            json={"order_ref": "S-0", "currency": "EUR", "slot_end": "10h"},
        )
        assert odd.status_code == 400 and "slot_end" in odd.text
    ended = {
        create(central, token, names, f"S-{i}", slot_end=slot)["id"]: slot
        for i, slot in enumerate(
            ("2020-01-01T10:00", "2020-01-01T10:00:30Z", "2020-01-01T12:00+02:00")
        )
    }
    future = create(central, token, names, "S-9", slot_end="2999-01-01T10:00+02:00")["id"]
    late = {
        r["subject"].removeprefix("shipment:")
        for r in office_rows(central, "exceptions", kind="late")
    }
    assert set(ended) <= late
    assert future not in late
