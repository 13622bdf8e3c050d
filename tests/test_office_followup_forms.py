"""The shipment page's follow-up forms over HTTP: answer a hold, mark lost, found again,
each through the office session with its CSRF token, refusals naming the field."""

from __future__ import annotations

import html
from pathlib import Path
from typing import TYPE_CHECKING

from edge import commands as c
from protocol.vocab import Role

from .browser.world import CSRF_FIELD, csrf_token, office_session
from .followup_helpers import day_after, edge_node
from .test_office_shipment_page import _alert
from .test_server_followups import create, routed

if TYPE_CHECKING:
    from .server_fixtures import Central, Names

pytest_plugins = ["tests.server_fixtures"]


def _status(central: Central, sid: str) -> str:
    with central.api() as api:
        return str(api.get(f"/api/v1/shipments/{sid}").json()["status"])


async def test_office_answers_a_hold_then_marks_lost_and_found_from_the_page(
    central: Central, names: Names, tmp_path: Path
) -> None:
    _, token = central.enrol("merchant", merchant_id=names.merchant)
    sid = create(central, token, names, "P-1")["id"]
    today = central.today()
    async with (
        edge_node(central, names, tmp_path / "depot.db", Role.DEPOT) as depot,
        edge_node(central, names, tmp_path / "hh.db", Role.COURIER, names.courier) as hh,
    ):
        await routed(depot, sid, names.courier, today.isoformat(), "covering a sick colleague")
        await hh.sync()
        await c.fail(hh.ctx, sid, "new_date_requested")
        await hh.sync()
    page = f"/office/shipments/{sid}"
    with office_session(central) as client:
        held = client.get(page)
        assert 'class="decision"' in held.text and 'class="lost"' in held.text
        form = {CSRF_FIELD: csrf_token(client, page)}
        no_csrf = client.post(f"{page}/decision", data={"route_day": day_after(today, 1)})
        past = client.post(f"{page}/decision", data=form | {"route_day": day_after(today, -2)})
        odd = client.post(f"{page}/decision", data=form | {"slot_end": "noon"})
        assert _status(central, sid) == "on_hold"  # nothing written
        done = client.post(
            f"{page}/decision",
            data=form | {"route_day": day_after(today, 2), "reason": "the recipient asked"},
        )
        answered = client.get(page).text
        blank = client.post(f"{page}/lost", data=form | {"liable": " "})
        lost = client.post(f"{page}/lost", data=form | {"liable": "courier", "note": "van"})
        lost_page = client.get(page).text
        found = client.post(f"{page}/found", data=form | {"note": "in the van"})
        again = client.post(f"{page}/found", data=form)
    assert no_csrf.status_code == 403
    assert past.status_code == 400 and "route_day" in _alert(past)
    assert odd.status_code == 400 and "slot_end" in _alert(odd)
    assert (done.status_code, done.headers["location"]) == (303, page)
    assert 'class="decision"' not in answered
    for text in ("the recipient asked", "covering a sick colleague", 'data-event="reassigned"'):
        assert text in html.unescape(answered), text
    assert blank.status_code == 400 and "liable" in _alert(blank)
    assert lost.status_code == 303 and 'class="found"' in lost_page
    assert "marked lost, liable: courier" in html.unescape(lost_page)
    assert found.status_code == 303 and _status(central, sid) == "at_depot"
    assert again.status_code == 409 and "status" in _alert(again)
