"""The courier's pages over HTTP against a real handheld node (offline, in-process).

Each refusal is checked to change nothing in the replica (``snapshot``) and
to say what is wrong next to the field it is about.
"""

from __future__ import annotations

import hashlib
import html
import re
from pathlib import Path

import anyio
import msgspec

from edge.pages.pin import MAX_FAILURES
from edge.proofs import proof_folder
from protocol.ids import make_tracking_number

from ._edge_world import COURIER, handheld, shipment_command, snapshot
from .edge_pages_helpers import CSRF, PIN, client, data_url, handheld_pages, png, sign_in, token

TN1, TN2 = make_tracking_number(1), make_tracking_number(2)


def error_of(page: str, field: str) -> str:
    found = re.search(f'id="{field}-error">([^<]*)<', page)
    assert found, page
    return html.unescape(found.group(1))


async def test_pin_is_chosen_once_checked_after_and_locks(tmp_path: Path) -> None:
    async with handheld_pages(tmp_path / "hh.db", [shipment_command(1)]) as hh, client(hh) as web:
        assert (await web.get("/")).headers["location"] == "/login"
        form = await web.get("/login")
        assert "Choose your PIN" in form.text
        differ = await web.post("/login", data={"pin": "1234", "pin2": "1243", CSRF: token(form)})
        assert differ.status_code == 401 and "differ" in error_of(differ.text, "pin")
        short = await web.post("/login", data={"pin": "12", "pin2": "12", CSRF: token(form)})
        assert "4 to 8 digits" in error_of(short.text, "pin")
        await sign_in(web)
        stored = await hh.ctx.store.meta(f"edge.pages.pin.{COURIER}")
        assert stored is not None and stored.startswith("scrypt$") and PIN not in stored

        async with client(hh) as other:
            form = await other.get("/login")
            assert "Sign in" in form.text and "pin2" not in form.text
            for _ in range(MAX_FAILURES):
                wrong = await other.post("/login", data={"pin": "9999", CSRF: token(form)})
                assert wrong.status_code == 401 and error_of(wrong.text, "pin") == "wrong PIN"
            locked = await other.post("/login", data={"pin": PIN, CSRF: token(form)})
            assert "too many wrong PINs" in error_of(locked.text, "pin")
            assert (await other.get("/")).status_code == 303
        route = await web.get("/")
        assert route.status_code == 200 and TN1 in route.text


async def test_a_handheld_enrolled_for_another_courier_shows_nothing_of_the_first(
    tmp_path: Path,
) -> None:
    path = tmp_path / "hh.db"
    async with handheld_pages(path, [shipment_command(1)]) as hh, client(hh) as web:
        await sign_in(web)
        assert TN1 in (await web.get("/")).text
        cookies = dict(web.cookies)
    async with handheld_pages(path, [], device=handheld("C9")) as hh, client(hh) as web:
        web.cookies.update(cookies)
        answer = await web.get("/")
        assert answer.status_code == 303 and answer.headers["location"] == "/login"
        assert "Choose your PIN" in (await web.get("/login")).text
        assert await hh.ctx.store.query("SELECT count(*) FROM documents") == [(0,)]


async def test_forms_without_the_csrf_token_are_refused_and_change_nothing(
    tmp_path: Path,
) -> None:
    commands = [shipment_command(1)]
    async with handheld_pages(tmp_path / "hh.db", commands) as hh, client(hh) as web:
        await sign_in(web)
        stop = await web.get(f"/stops/{commands[0][0]}")
        before = await snapshot(hh.ctx.store)
        for forged in ({}, {CSRF: token(stop)[:-2] + "00"}):
            answer = await web.post(f"/stops/{commands[0][0]}/out", data=forged)
            assert answer.status_code == 403
        assert await snapshot(hh.ctx.store) == before
        done = await web.post(f"/stops/{commands[0][0]}/out", data={CSRF: token(stop)})
        assert done.status_code == 303
        assert await snapshot(hh.ctx.store) != before


async def test_cod_a_different_amount_needs_a_reason_and_delivery_keeps_its_proof(
    tmp_path: Path,
) -> None:
    commands = [shipment_command(1, cod=1575)]
    doc_id = commands[0][0]
    async with handheld_pages(tmp_path / "hh.db", commands) as hh, client(hh) as web:
        await sign_in(web)
        stop = await web.get(f"/stops/{doc_id}")
        assert "Collect EUR 15.75" in stop.text and "Collect EUR 15.75 first" in stop.text
        csrf = token(stop)
        before = await snapshot(hh.ctx.store)
        early = await web.post(
            f"/stops/{doc_id}/deliver",
            data={"recipient_name": "Ann", CSRF: csrf, "signature": data_url(png())},
        )
        assert early.status_code == 409 and "collect EUR 15.75 first" in error_of(
            early.text, "deliver"
        )
        short = await web.post(f"/stops/{doc_id}/collect", data={"amount": "15.00", CSRF: csrf})
        assert short.status_code == 409 and "give a reason" in error_of(short.text, "reason")
        assert short.headers["content-type"].startswith("text/html")  # a page, not text
        junk = await web.post(f"/stops/{doc_id}/collect", data={"amount": "1.234", CSRF: csrf})
        assert junk.status_code == 400 and "decimals" in error_of(junk.text, "amount")
        assert await snapshot(hh.ctx.store) == before
        assert not list(proof_folder(hh.db).glob("*"))

        paid = await web.post(
            f"/stops/{doc_id}/collect",
            data={"amount": "15.00", "reason": "no change", CSRF: csrf},
        )
        assert paid.status_code == 303
        signature, photo = png(shade=0), png(8, 8, shade=200)
        delivered = await web.post(
            f"/stops/{doc_id}/deliver",
            data={
                "recipient_name": "Ann",
                "relation": "neighbour",
                CSRF: csrf,
                "signature": data_url(signature),
                "lat": "52.3731",
                "lon": "4.8922",
            },
            files={"photo": ("door.png", photo, "image/png")},
        )
        assert delivered.status_code == 303, delivered.text
        page = (await web.get(f"/stops/{doc_id}")).text
        assert "delivered to Ann" in page and 'id="delivered"' in page
        rows = await hh.ctx.store.query("SELECT kind, sha256, path FROM edge_attachments")
        want = {"signature": signature, "photo": photo}
        assert sorted(r[0] for r in rows) == ["photo", "signature"]
        for kind, sha, path in rows:
            assert sha == hashlib.sha256(want[kind]).hexdigest()
            assert Path(path) == proof_folder(hh.db) / sha
            assert await anyio.Path(path).read_bytes() == want[kind]
        events = await hh.ctx.store.query(
            "SELECT payload FROM p_events WHERE doc_id = ? AND type = 'delivered'", (doc_id,)
        )
        pod = msgspec.json.decode(events[0][0])
        assert (pod["relation"], pod["lat"], pod["lon"]) == ("neighbour", 52.3731, 4.8922)
        assert pod["signature_sha256"] == hashlib.sha256(signature).hexdigest()


async def test_a_refused_proof_says_which_field_and_keeps_no_file(tmp_path: Path) -> None:
    commands = [shipment_command(1)]
    doc_id = commands[0][0]
    async with handheld_pages(tmp_path / "hh.db", commands) as hh, client(hh) as web:
        await sign_in(web)
        csrf = token(await web.get(f"/stops/{doc_id}"))
        before = await snapshot(hh.ctx.store)
        cases = [
            ({"recipient_name": " "}, {}, "recipient_name", "recipient name is required"),
            (
                {"recipient_name": "Ann", "signature": "data:text/html,hi"},
                {},
                "signature",
                "not a drawn signature",
            ),
            (
                {"recipient_name": "Ann"},
                {"photo": ("x.txt", b"hello", "text/plain")},
                "photo",
                "not a PNG",
            ),
            ({"recipient_name": "Ann", "lat": "91", "lon": "0"}, {}, "lat", "outside the map"),
            (
                {"recipient_name": "Ann", "relation": "cousin"},
                {"photo": ("p.png", png(), "")},
                "relation",
                "relation must be one of",
            ),
        ]
        for data, files, field, words in cases:
            answer = await web.post(
                f"/stops/{doc_id}/deliver", data={CSRF: csrf, **data}, files=files or None
            )
            assert answer.status_code == 400, (field, answer.text)
            assert answer.headers["content-type"].startswith("text/html")
            assert words in error_of(answer.text, field)
        assert await snapshot(hh.ctx.store) == before
        assert not list(proof_folder(hh.db).glob("*"))


async def test_failed_attempt_says_what_happens_next_and_cash_hands_over(tmp_path: Path) -> None:
    commands = [shipment_command(1, cod=2000), shipment_command(2), shipment_command(3)]
    async with (
        handheld_pages(tmp_path / "hh.db", commands, cash_limit=5000) as hh,
        client(hh) as web,
    ):
        await sign_in(web)
        stop = await web.get(f"/stops/{commands[1][0]}")
        csrf = token(stop)
        assert "Hold for the sender" in stop.text and "Nobody home" in stop.text
        nothing = await web.post("/cash/handover", data={CSRF: csrf})
        assert nothing.status_code == 409
        assert "no cash in hand" in error_of(nothing.text, "handover")
        missing = await web.post(f"/stops/{commands[1][0]}/fail", data={CSRF: csrf})
        assert missing.status_code == 400 and "reason must be one of" in error_of(
            missing.text, "reason"
        )
        for doc, reason, words in (
            (commands[1][0], "not_home", "it goes out again on the next attempt"),
            (commands[2][0], "refused", "it goes back to the sender"),
        ):
            failed = await web.post(f"/stops/{doc}/fail", data={"reason": reason, CSRF: csrf})
            assert failed.status_code == 303
            page = (await web.get(f"/stops/{doc}")).text
            assert words in page
        await web.post(f"/stops/{commands[0][0]}/collect", data={"amount": "20.00", CSRF: csrf})
        cash = (await web.get("/cash")).text
        assert "EUR 20.00" in cash and "EUR 50.00" in cash and "EUR 30.00" in cash
        done = await web.post("/cash/handover", data={CSRF: csrf})
        assert done.status_code == 303
        assert "Handed over EUR 20.00" in (await web.get("/cash")).text
        route = (await web.get("/")).text
        assert 'data-waiting="5"' in route


async def test_a_parcel_needing_the_recipients_pin_asks_for_it(tmp_path: Path) -> None:
    commands = [shipment_command(1, otp="4321")]
    doc_id = commands[0][0]
    async with handheld_pages(tmp_path / "hh.db", commands) as hh, client(hh) as web:
        await sign_in(web)
        stop = await web.get(f"/stops/{doc_id}")
        assert 'id="otp"' in stop.text
        before = await snapshot(hh.ctx.store)
        form = {"recipient_name": "Ann", CSRF: token(stop)}
        for otp, words in (("", "needs the recipient's OTP/PIN"), ("1111", "wrong OTP/PIN")):
            wrong = await web.post(f"/stops/{doc_id}/deliver", data={**form, "otp": otp})
            assert wrong.status_code == 409 and words in error_of(wrong.text, "otp")
        assert await snapshot(hh.ctx.store) == before
        right = await web.post(f"/stops/{doc_id}/deliver", data={**form, "otp": "4321"})
        assert right.status_code == 303


async def test_a_csrf_token_from_outside_the_session_is_refused(tmp_path: Path) -> None:
    """A local process can fetch the sign-in page itself (it is on 127.0.0.1) and plant the
    token's cookie in the courier's browser (cookies ignore ports): it must not carry a form."""
    commands = [shipment_command(1)]
    async with handheld_pages(tmp_path / "hh.db", commands) as hh, client(hh) as web:
        await sign_in(web)
        async with client(hh) as attacker:
            outside = await attacker.get("/login")
            planted = token(outside)
            cookies = dict(attacker.cookies)
        before = await snapshot(hh.ctx.store)
        for name, value in cookies.items():
            web.cookies.set(name, value)
        for name in [n for n in web.cookies if n.startswith("hh_csrf")]:
            web.cookies.set(name, cookies.get("hh_csrf", ""))
        forged = await web.post(f"/stops/{commands[0][0]}/out", data={CSRF: planted})
        assert forged.status_code == 403
        assert await snapshot(hh.ctx.store) == before
