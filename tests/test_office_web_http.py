"""Office pages over the wire against the real central: login, redirects, CSV, SSE, tracking."""

from __future__ import annotations

import csv
import html
import io
from collections.abc import AsyncIterator
from typing import TYPE_CHECKING

import anyio
import httpx

from protocol.ids import make_tracking_number

from .browser.world import (
    CSRF_FIELD,
    PERSONAL,
    create_shipment,
    csrf_token,
    deliver_on_handheld,
    office_session,
    route_to_courier,
)

if TYPE_CHECKING:
    from pathlib import Path

    from .server_fixtures import Central, Names

pytest_plugins = ["tests.server_fixtures"]

PAGES = ["/office/", "/office/tables/shipments", "/office/tables/merchants?from=2024-01-01"]
NOT_PAGES = [
    "/office/tables/shipments.csv",
    "/office/tables/cod?format=csv",
    "/office/events",
    "/office/overview/figures",
]


def anonymous(central: Central) -> httpx.Client:
    return httpx.Client(base_url=central.url, timeout=10)


def csv_rows(answer: httpx.Response) -> list[dict[str, str]]:
    return list(csv.DictReader(io.StringIO(answer.text)))


def test_without_a_session_pages_redirect_to_login_and_the_rest_is_401(central: Central):
    with anonymous(central) as client:
        for path in PAGES:
            answer = client.get(path)
            assert answer.status_code == 303, path
            assert answer.headers["location"].startswith("/office/login?next=/office")
        client.cookies.set("office_session", "forged-value", path="/office")
        for path in NOT_PAGES:
            answer = client.get(path)
            assert answer.status_code == 401, path
            assert "/office/login" in answer.json()["detail"]
        assert client.get("/office/login").status_code == 200


def test_login_refuses_wrong_tokens_and_sets_no_cookie(central: Central, names: Names):
    _, courier_token = central.enrol("courier", depot_id=names.depot, courier_id=names.courier)
    with anonymous(central) as client:
        csrf = {CSRF_FIELD: csrf_token(client)}
        empty = client.post("/office/login", data={"token": "  "} | csrf)
        assert empty.status_code == 400 and "token: enter" in empty.text
        assert f'name="{CSRF_FIELD}" value="{csrf[CSRF_FIELD]}"' in empty.text  # try again
        huge = client.post("/office/login", data={"token": "x" * 300} | csrf)
        assert huge.status_code == 400 and "token" in huge.text
        for token in (courier_token, "not-a-token"):
            answer = client.post("/office/login", data={"token": token} | csrf)
            assert answer.status_code == 401
            assert "token: unknown, revoked, or not a head-office token" in answer.text
            assert "set-cookie" not in answer.headers
        assert client.get("/office/").status_code == 303


def test_login_sets_an_httponly_session_cookie_and_logout_ends_it(central: Central):
    with anonymous(central) as client:
        csrf = {CSRF_FIELD: csrf_token(client)}
        answer = client.post(
            "/office/login",
            data={"token": central.office_token, "next": "/office/tables/devices"} | csrf,
        )
        assert (answer.status_code, answer.headers["location"]) == (303, "/office/tables/devices")
        cookie = answer.headers["set-cookie"]
        assert "HttpOnly" in cookie and "Path=/office" in cookie and "SameSite=lax" in cookie
        page = client.get("/office/")
        assert page.status_code == 200 and 'id="figures"' in page.text
        assert client.get("/office/tables/devices").status_code == 200
        assert client.post("/office/logout", data=csrf).status_code == 403, "a pre-login token"
        logout = client.post("/office/logout", data={CSRF_FIELD: csrf_token(client, "/office/")})
        assert (logout.status_code, logout.headers["location"]) == (303, "/office/login")
        assert client.get("/office/").status_code == 303
    with anonymous(central) as client:
        elsewhere = client.post(
            "/office/login",
            data={"token": central.office_token, "next": "//evil.example/x"}
            | {CSRF_FIELD: csrf_token(client)},
        )
        assert elsewhere.headers["location"] == "/office/"


def test_revoking_the_office_device_ends_its_session(central: Central):
    device_id, token = central.enrol("office")
    with office_session(central, token) as client:
        assert client.get("/office/").status_code == 200
        with central.api() as api:
            api.post(f"/api/v1/devices/{device_id}/revoke").raise_for_status()
        assert client.get("/office/").status_code == 303
        assert client.get("/office/tables/devices.csv").status_code == 401


def test_the_session_secret_is_kept_beside_the_db_and_survives_a_restart(tmp_path: Path):
    # imported here: the module is loaded as a plugin, before which it must not be imported
    from .server_fixtures import start_central, stop_central

    db = tmp_path / "central.db"
    server = start_central(db)
    try:
        with office_session(server) as client:
            assert client.get("/office/").status_code == 200
            cookies = httpx.Cookies(client.cookies)
    finally:
        stop_central(server)
    secret = (tmp_path / "central.db.secret").read_text().strip()
    assert len(bytes.fromhex(secret)) == 32
    again = start_central(db)
    try:
        with httpx.Client(base_url=again.url, cookies=cookies) as client:
            assert client.get("/office/").status_code == 200
    finally:
        stop_central(again)


def test_csv_export_formats_money_and_matches_the_filtered_table(central: Central, names: Names):
    due = create_shipment(central, names, "csv-1", cod_amount=1250)
    free = create_shipment(central, names, "csv-2")
    with office_session(central) as client:
        answer = client.get(f"/office/tables/shipments.csv?merchant={names.merchant}")
        assert answer.status_code == 200
        assert answer.headers["content-type"].startswith("text/csv")
        disposition = answer.headers["content-disposition"]
        assert disposition == f'attachment; filename="shipments-merchant-{names.merchant}.csv"'
        rows = {row["Tracking"]: row for row in csv_rows(answer)}
        assert set(rows) == {due["tracking_number"], free["tracking_number"]}
        assert rows[due["tracking_number"]]["COD"] == "12.50"
        assert rows[due["tracking_number"]]["Currency"] == "EUR"
        assert rows[free["tracking_number"]]["COD"] == "0.00"
        same = client.get(f"/office/tables/shipments?merchant={names.merchant}&format=csv")
        assert same.text == answer.text
        page = client.get(f"/office/tables/shipments?merchant={names.merchant}")
        assert "EUR 12.50" in page.text and f'value="{names.merchant}"' in page.text


def error_message(answer: httpx.Response) -> str:
    """The message of an HTML error page (unescaped)."""
    assert answer.headers["content-type"].startswith("text/html"), answer.text
    text = answer.text.split('role="alert"', 1)[1].split(">", 1)[1].split("</p>", 1)[0]
    return html.unescape(text)


def test_unknown_tables_and_bad_filters_get_4xx_pages_naming_the_field(central: Central):
    with office_session(central) as client:
        unknown = client.get("/office/tables/parcels")
        assert unknown.status_code == 404 and "'parcels'" in error_message(unknown)
        bad_day = client.get("/office/tables/remittances?from=yesterday")
        assert bad_day.status_code == 400 and "'from'" in error_message(bad_day)
        too_long = client.get("/office/tables/shipments", params={"merchant": "M" * 300})
        assert too_long.status_code == 400 and "merchant" in error_message(too_long)
        colour = client.get("/office/tables/shipments?colour=red")
        assert colour.status_code == 400 and "'colour'" in error_message(colour)
        assert "Nothing was changed" in colour.text and 'href="/office/"' in colour.text
        # the CSV export is not a page: its errors stay JSON
        colour_csv = client.get("/office/tables/shipments.csv?colour=red")
        assert colour_csv.status_code == 400 and "'colour'" in colour_csv.json()["detail"]
        unknown_csv = client.get("/office/tables/parcels.csv")
        assert unknown_csv.status_code == 404 and "'parcels'" in unknown_csv.json()["detail"]


def test_table_pages_offer_the_filters_the_table_accepts(central: Central):
    with office_session(central) as client:
        page = client.get("/office/tables/kpis")
        shipments = client.get("/office/tables/shipments", params={"status": "delivered"})
    assert '<select name="group">' in page.text and 'name="key"' in page.text
    for choice in ("depot", "courier", "merchant", "day"):
        assert f'<option value="{choice}">{choice}</option>' in page.text
    for key in ("status", "depot", "merchant", "courier", "from", "to"):
        assert f'name="{key}"' in shipments.text
    assert 'name="status" value="delivered"' in shipments.text


async def next_head(lines: AsyncIterator[str]) -> int:
    """The data of the next ``head`` event on an SSE stream."""
    event = ""
    async for line in lines:
        if line.startswith("event:"):
            event = line.split(":", 1)[1].strip()
        elif line.startswith("data:") and event == "head":
            return int(line.split(":", 1)[1])
    raise AssertionError("the event stream ended")


async def test_sse_announces_a_handheld_delivery_and_the_statement_and_tracking_follow(
    central: Central, names: Names, tmp_path: Path
):
    shipment = create_shipment(central, names, "sse-1", cod_amount=2000)
    tracking = shipment["tracking_number"]
    with office_session(central) as session:
        cookies = httpx.Cookies(session.cookies)
    async with httpx.AsyncClient(base_url=central.url, cookies=cookies) as client:
        async with client.stream("GET", "/office/events", timeout=20) as stream:
            assert stream.headers["content-type"].startswith("text/event-stream")
            lines = stream.aiter_lines()
            with anyio.fail_after(20):
                first = await next_head(lines)
                await route_to_courier(central, names, tmp_path, [shipment["id"]])
                await deliver_on_handheld(central, names, tmp_path, tracking, cod=2000)
                head = await next_head(lines)
                while head < await _log_head(client):
                    head = await next_head(lines)
            assert head > first
        statement = await client.get(f"/office/tables/statement.csv?merchant={names.merchant}")
        figures = await client.get("/office/overview/figures")
        page = await client.get(f"/track/{tracking.lower()}")
    assert statement.status_code == 200
    assert tracking in statement.text and "20.00" in statement.text
    assert f'data-as-of="{head}"' in figures.text
    assert page.status_code == 200 and "Your parcel has been delivered." in page.text
    assert "Delivered to the recipient." in page.text and "Amsterdam" in page.text
    for secret in [*PERSONAL.values(), "W. Oosterhuis", "20.00", names.courier, "EUR"]:
        assert secret not in page.text


async def _log_head(client: httpx.AsyncClient) -> int:
    figures = await client.get("/office/overview/figures")
    return int(figures.text.split('data-as-of="', 1)[1].split('"', 1)[0])


def test_tracking_page_shows_slot_and_city_only(central: Central, names: Names):
    shipment = create_shipment(
        central, names, "track-1", cod_amount=4321, slot_start="09:00", slot_end="12:00"
    )
    with anonymous(central) as client:
        page = client.get(f"/track/{shipment['tracking_number']}")
    assert page.status_code == 200
    assert "Delivery slot: between 09:00 and 12:00" in page.text and "Amsterdam" in page.text
    assert "The sender has announced your parcel" in page.text
    for secret in [*PERSONAL.values(), "43.21", "4321", names.merchant, shipment["id"]]:
        assert secret not in page.text


def test_tracking_page_is_404_for_malformed_and_unknown_numbers(central: Central):
    with anonymous(central) as client:
        malformed = client.get("/track/hello")
        unknown = client.get(f"/track/{make_tracking_number(99_999_999)}")
    assert malformed.status_code == 404 and "tracking_number:" in malformed.text
    assert unknown.status_code == 404 and "We have no parcel with tracking number" in unknown.text
