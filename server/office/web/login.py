"""``/office/login`` and ``/office/logout``, and what a request without a session gets.

Pages (handlers with the ``login_page`` opt) redirect to the login form; the
CSV export, the event stream and the figures fragment answer 401. Like every
office form, login and logout need the CSRF token (``csrf_input`` in the
template; see :mod:`.session`).
"""

from __future__ import annotations

from typing import Annotated, Any
from urllib.parse import quote

import msgspec
from litestar import Controller, Request, Response, get, post
from litestar.enums import RequestEncodingType
from litestar.exceptions import NotAuthorizedException
from litestar.params import Body
from litestar.response import Redirect, Template

from ...core import Central
from .pages import HTML_FORM, wants_csv
from .session import COOKIE_PATH, csrf_cookie_name, log_in, log_out

HOME = "/office/"


class LoginForm(msgspec.Struct):
    token: Annotated[str, msgspec.Meta(max_length=200)] = ""
    next: Annotated[str, msgspec.Meta(max_length=500)] = ""


def safe_next(target: str) -> str:
    """Where to go after login: an office path of this site, never another host."""
    if target.startswith("/office") and not target.startswith("//") and "\\" not in target:
        return target
    return HOME


def login_page(message: str = "", target: str = "", status_code: int = 200) -> Template:
    """The login form, with an error ``message`` when a try was refused."""
    context = {"message": message, "next": safe_next(target)}
    return Template("login.html", context=context, status_code=status_code)


class OfficeLogin(Controller):
    path = "/office"
    include_in_schema = False

    @get("/login")
    async def form(self, next: str = "") -> Template:
        """The login form."""
        return login_page(target=next)

    @post("/login", status_code=303, opt=HTML_FORM)
    async def login(
        self,
        request: Request[Any, Any, Any],
        central: Central,
        data: Annotated[LoginForm, Body(media_type=RequestEncodingType.URL_ENCODED)],
    ) -> Redirect | Template:
        """Check the office token; on success set the session cookie and go on."""
        if not data.token.strip():
            return login_page("token: enter your office token", data.next, 400)
        if await log_in(request, central, data.token) is None:
            message = "token: unknown, revoked, or not a head-office token"
            return login_page(message, data.next, 401)
        return Redirect(safe_next(data.next), status_code=303)

    @post("/logout", status_code=303, opt=HTML_FORM)
    async def logout(self, request: Request[Any, Any, Any], central: Central) -> Redirect:
        """End the session on the server (its cookies are cleared) and show the login form."""
        nonce = await log_out(request, central)
        answer = Redirect("/office/login", status_code=303)
        if nonce:
            answer.delete_cookie(csrf_cookie_name(nonce), path=COOKIE_PATH)
        return answer


def on_not_authorized(
    request: Request[Any, Any, Any], exc: NotAuthorizedException
) -> Response[Any]:
    """Redirect a page to the login form; everything else gets a plain 401."""
    if request.route_handler.opt.get("login_page") and not wants_csv(request):
        target = request.url.path + (f"?{request.url.query}" if request.url.query else "")
        return Redirect(f"/office/login?next={quote(target, safe='/')}", status_code=303)
    return Response(
        {"status_code": 401, "detail": exc.detail}, status_code=401, media_type="application/json"
    )
