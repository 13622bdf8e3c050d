"""What a failed office request gets: an HTML page for pages and forms, JSON otherwise.

Page handlers carry the ``html_errors`` opt (:data:`~.pages.HTML_ERRORS`); the
CSV export, the event stream and the figures fragment keep litestar's JSON
error body, as does the JSON API under ``/api/v1/office``.
"""

from __future__ import annotations

from typing import Any

from litestar import Request, Response
from litestar.exceptions import HTTPException
from litestar.response import Template

from .pages import HTML_ERRORS, wants_csv

TITLES = {
    400: "This request cannot be answered",
    403: "Refused: reload the form and send it again",  # a missing or stale CSRF token
    404: "Not found",
    409: "Not done",
}


def shows_html(request: Request[Any, Any, Any]) -> bool:
    """True for an office page or form (not its CSV export)."""
    return bool(request.route_handler.opt.get(HTML_ERRORS)) and not wants_csv(request)


def error_page(message: str, status_code: int) -> Template:
    """The error page: what went wrong (naming the field) and a way back."""
    title = TITLES.get(status_code, "Something went wrong")
    context = {"title": title, "message": message, "status_code": status_code}
    return Template("error.html", context=context, status_code=status_code)


def _with_fields(detail: str, extra: object) -> str:
    """``detail`` and, for a validation error, each field it names with its message."""
    if not isinstance(extra, list):
        return detail
    named = [f"{e['key']}: {e['message']}" for e in extra if isinstance(e, dict) and "key" in e]
    return "; ".join([detail, *named])


def on_http_error(request: Request[Any, Any, Any], exc: HTTPException) -> Response[Any] | Template:
    """An HTML error page for pages and forms, litestar's JSON body for the rest."""
    if shows_html(request):
        return error_page(_with_fields(str(exc.detail), exc.extra), exc.status_code)
    body: dict[str, Any] = {"status_code": exc.status_code, "detail": exc.detail}
    if exc.extra:
        body["extra"] = exc.extra
    return Response(body, status_code=exc.status_code, media_type="application/json")
