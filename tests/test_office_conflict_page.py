"""The side-by-side conflict page for a double collection, over HTTP.

A courier collects a 20.00 COD parcel twice, in cash and by card. The page
shows both collections and, for each, the ledger entries keeping it writes
(computed by the journal fold with that resolution added); the form keeps
the card payment, and the ledger then holds exactly what the page announced.
"""

from __future__ import annotations

import html
import re
from pathlib import Path
from typing import TYPE_CHECKING

from protocol.commands import DocCommand

from .browser.world import (
    CSRF_FIELD,
    Door,
    create_shipment,
    csrf_token,
    office_session,
    push_as_courier,
    route_on_days,
)
from .server_helpers import office_rows

if TYPE_CHECKING:
    from .server_fixtures import Central, Names

pytest_plugins = ["tests.server_fixtures"]


def _side(page: str, event_id: str) -> str:
    start = page.index(f'data-event="{event_id}"')
    return html.unescape(re.sub(r"<[^>]+>", " ", page[start : page.index("</section>", start)]))


async def test_a_double_collection_shows_both_and_the_entries_each_choice_writes(
    central: Central, names: Names, tmp_path: Path
) -> None:
    shipment = create_shipment(central, names, "twice-paid", cod_amount=2000)
    await route_on_days(central, names, tmp_path, {shipment["id"]: central.today().isoformat()})
    events = {}

    def door(device_id: str) -> list[tuple[str, DocCommand]]:
        d = Door(device_id, names.courier)
        events["cash"], events["card"] = d.cod(2000), d.cod(2000, method="card")
        done = [d.out(), d.delivered(), events["cash"], events["card"]]
        return [(shipment["id"], DocCommand.build("door", "shipment", done))]

    await push_as_courier(central, names, tmp_path, door)
    (conflict,) = office_rows(
        central, "conflicts", merchant=names.merchant, kind="double_collection"
    )
    assert conflict["decide"].startswith("/office/conflicts/")
    with office_session(central) as client:
        page = client.get(conflict["decide"])
        assert page.status_code == 200, page.text
        cash, card = _side(page.text, events["cash"].id), _side(page.text, events["card"].id)
        assert "EUR 20.00" in cash and "Cash" in cash and "EUR 20.00" in card and "Card" in card
        # keeping the cash leaves the card payment in suspense, to refund: nothing new
        assert "None: the money stays where it is." in cash
        # keeping the card payment makes it the merchant's (no fee terms: all of it) and
        # takes it out of suspense; the cash is then the one to refund
        tracking = shipment["tracking_number"]
        owed = f"EUR 20.00 from Card settlement to Owed to {names.merchant} (the merchant's share)"
        assert owed in card, card
        taken_back = (
            f"EUR 20.00 from Card settlement to Suspense of {tracking} (held until refunded)"
        )
        assert "Entries it takes back" in card and taken_back in card, card
        form = {
            CSRF_FIELD: csrf_token(client, conflict["decide"]),
            "keep": events["card"].id,
            "note": "the card payment settled; refund the cash",
        }
        done = client.post(conflict["decide"] + "/resolve", data=form)
        assert (done.status_code, done.headers["location"]) == (303, "/office/tables/exceptions")
    assert office_rows(central, "conflicts", merchant=names.merchant) == []
    ledger = {r["account"]: r["balance"] for r in office_rows(central, "ledger")}
    assert ledger.get(f"payable:{names.merchant}") == 2000
    (line,) = office_rows(central, "cod", merchant=names.merchant)
    assert (line["method"], line["collected"]) == ("card", 2000)
