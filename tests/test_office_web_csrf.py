"""Office forms need the CSRF token; office cookies turn Secure over https. Over the wire.

Every POST under ``/office`` (login, logout, resolving a conflict) must
repeat the token of the ``office_csrf`` cookie in its ``_csrf_token`` field:
without it, with a forged one or with another browser's, it gets a 403 page
and changes nothing. The bearer-token JSON API never needs it.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import httpx

from .browser.world import CSRF_FIELD, csrf_token, office_session, tampered, token_in

if TYPE_CHECKING:
    from pathlib import Path

    from .server_fixtures import Central, Names

pytest_plugins = ["tests.server_fixtures"]


def _set_cookies(answer: httpx.Response) -> dict[str, str]:
    """``name -> whole Set-Cookie header`` of an answer."""
    return {h.split("=", 1)[0]: h for h in answer.headers.get_list("set-cookie")}


def _refused(answer: httpx.Response) -> bool:
    return (
        answer.status_code == 403
        and "CSRF token verification failed" in answer.text
        and "office_session" not in _set_cookies(answer)
    )


def test_login_needs_the_token_of_this_browser(central: Central):
    with httpx.Client(base_url=central.url, timeout=10) as other:
        foreign = csrf_token(other)
    with httpx.Client(base_url=central.url, timeout=10) as client:
        mine = csrf_token(client)
        login = {"token": central.office_token}
        for wrong in ({}, {CSRF_FIELD: ""}, {CSRF_FIELD: foreign}, {CSRF_FIELD: tampered(mine)}):
            answer = client.post("/office/login", data=login | wrong)
            assert _refused(answer), (wrong, answer.text)
            assert client.get("/office/").status_code == 303  # still logged out
        assert client.post("/office/login", data=login | {CSRF_FIELD: mine}).status_code == 303
        assert client.get("/office/").status_code == 200


def test_logout_without_the_token_keeps_the_session(central: Central):
    with office_session(central) as client:
        token = csrf_token(client, "/office/")
        assert _refused(client.post("/office/logout"))
        assert _refused(client.post("/office/logout", data={CSRF_FIELD: token + "00"}))
        assert client.get("/office/").status_code == 200
        assert client.post("/office/logout", data={CSRF_FIELD: token}).status_code == 303
        assert client.get("/office/").status_code == 303


def test_a_token_issued_outside_the_session_does_not_carry_a_form_inside_it(central: Central):
    """A valid token obtained by someone else, planted in the browser as every CSRF
    cookie it may be read from and repeated in a forged form, is refused: the
    session's tokens are bound to it. The session's own token still works."""
    with httpx.Client(base_url=central.url, timeout=10) as attacker:
        planted = csrf_token(attacker)
    with office_session(central) as client:
        own = csrf_token(client, "/office/")
        jar = {cookie.name: cookie.value for cookie in client.cookies.jar}
    csrf_names = {name for name in jar if name.startswith("office_csrf")}
    assert len(csrf_names - {"office_csrf"}) == 1, "the session has a CSRF cookie of its own"
    session = [f"{k}={v}" for k, v in jar.items() if k not in csrf_names]

    def logout(token: str, cookies: list[str]) -> httpx.Response:
        with httpx.Client(base_url=central.url, timeout=10) as browser:
            header = {"cookie": "; ".join(session + cookies)}
            return browser.post("/office/logout", data={CSRF_FIELD: token}, headers=header)

    forged = logout(planted, [f"{name}={planted}" for name in csrf_names])
    assert _refused(forged), forged.text
    genuine = logout(own, [f"{name}={value}" for name, value in jar.items() if name in csrf_names])
    assert genuine.status_code == 303
    assert any(
        c.startswith("office_csrf_") and "Max-Age=0" in c
        for c in genuine.headers.get_list("set-cookie")
    )


def test_the_bearer_json_api_needs_no_csrf_token(central: Central, names: Names):
    with central.api() as api:
        answer = api.put(
            f"/api/v1/office/merchants/{names.merchant}/terms", json={"fee_percent_bp": 100}
        )
    assert answer.status_code == 200, answer.text
    assert "office_csrf" not in _set_cookies(answer)


def test_cookies_are_secure_over_https_and_plain_on_http(central: Central):
    with httpx.Client(base_url=central.url, timeout=10) as client:
        plain = client.get("/office/login")
        form = {"token": central.office_token, CSRF_FIELD: token_in(plain)}
        plain_login = client.post("/office/login", data=form)
    proxied = {"x-forwarded-proto": "https"}  # from 127.0.0.1, a proxy uvicorn trusts
    with httpx.Client(base_url=central.url, timeout=10, headers=proxied) as client:
        https = client.get("/office/login")
        form = {"token": central.office_token, CSRF_FIELD: token_in(https)}
        cookie = https.headers["set-cookie"].split(";", 1)[0]
        https_login = client.post("/office/login", data=form, headers={"cookie": cookie})
    assert "Secure" not in _set_cookies(plain)["office_csrf"]
    assert "Secure" not in _set_cookies(plain_login)["office_session"]
    assert "; Secure" in _set_cookies(https)["office_csrf"]
    assert https_login.status_code == 303, https_login.text
    assert "; Secure" in _set_cookies(https_login)["office_session"]


def test_secure_cookies_option_marks_them_secure_on_http_too(tmp_path: Path):
    # imported here: the module is loaded as a plugin, before which it must not be imported
    from .server_fixtures import start_central, stop_central

    server = start_central(tmp_path / "central.db", secure_cookies=True)
    try:
        with httpx.Client(base_url=server.url, timeout=10) as client:
            page = client.get("/office/login")
            cookie = page.headers["set-cookie"].split(";", 1)[0]
            login = client.post(
                "/office/login",
                data={"token": server.office_token, CSRF_FIELD: token_in(page)},
                headers={"cookie": cookie},
            )
    finally:
        stop_central(server)
    assert "; Secure" in _set_cookies(page)["office_csrf"]
    assert login.status_code == 303, login.text
    assert "; Secure" in _set_cookies(login)["office_session"]
