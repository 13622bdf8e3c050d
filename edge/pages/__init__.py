"""The pages of the people at the edge, served by their node (no upstream needed).

The courier's pages (:mod:`.courier`), on the handheld's 127.0.0.1:

::

    /login, /logout          the courier's PIN (chosen on first use), a session cookie
    /                        today's route in the planned order; search; scan or type a code
    /stops/{doc_id}          one stop: out for delivery, collect COD, deliver with proof, fail
    /pickups/{doc_id}        a reverse pickup of a return: what to collect, with proof
    /cash                    cash in hand, the limit, the end-of-day handover
    /sync                    the sync bar (the page's script refreshes it)
    /static/...              css and plain js (no build chain, nothing from the internet)

The depot's desk pages (:mod:`.depot`), on the depot LAN: ``/login`` (staff
id and PIN), ``/`` (inbound scan stream), ``/returns`` and
``/returns/{doc_id}`` (receive, grade, restock, stock), ``/routes`` (assign
and reassign, with who did it), ``/cash`` (:mod:`.desk_cash`: count the
handovers, deposit batches), ``/handhelds`` (:mod:`.desk_handhelds`: each
handheld's health and what to look at); and (:mod:`.depot_returns`) ``/pickups``
(reverse pickups on the couriers' routes) and ``/returns/{doc_id}/move`` (stock
between states).

Every POST carries the CSRF token; every handler calls the same command
function as ``parcelsync edge`` (:mod:`edge.commands`).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from litestar import Controller, Litestar, Request, Response
from litestar.di import Provide
from litestar.exceptions import NotAuthorizedException
from litestar.middleware.base import DefineMiddleware
from litestar.plugins.jinja import JinjaTemplateEngine
from litestar.response import Redirect
from litestar.static_files import create_static_files_router
from litestar.template.config import TemplateConfig

from protocol.money import Money
from protocol.proofs import MAX_PROOF_BYTES

from .cash import CourierCash
from .courier import CourierPages
from .depot import DepotPages
from .depot_changes import DepotChangePages
from .depot_returns import DepotReturnPages
from .desk_cash import DepotCash
from .desk_handhelds import DepotHandhelds
from .pickups import PickupPages
from .session import SessionCSRF, pages_secret, session_config
from .signin import CourierSignIn
from .site import Site

__all__ = ["Site", "depot_app", "handheld_app", "pages_secret"]

HERE = Path(__file__).resolve().parent


def _to_login(request: Request[Any, Any, Any], exc: NotAuthorizedException) -> Response[Any]:
    return Redirect("/login", status_code=303)


def _filters(engine: JinjaTemplateEngine) -> None:
    engine.engine.filters.update(
        money=lambda pair: Money(*pair).format(),
        decimal=lambda m: m.format().removeprefix(f"{m.currency} "),
    )


def handheld_app(site: Site, secret: bytes) -> Litestar:
    """The courier's pages over ``site`` (the running node), cookies keyed by ``secret``."""
    return _app(site, secret, CourierSignIn, CourierPages, CourierCash, PickupPages)


def depot_app(site: Site, secret: bytes) -> Litestar:
    """The depot desk pages over ``site`` (the running depot node)."""
    return _app(
        site, secret, DepotPages, DepotChangePages, DepotCash, DepotHandhelds, DepotReturnPages
    )


def _app(site: Site, secret: bytes, *pages: type[Controller]) -> Litestar:
    static = create_static_files_router(
        path="/static", directories=[HERE / "static"], include_in_schema=False
    )
    return Litestar(
        route_handlers=[*pages, static],
        dependencies={"site": Provide(lambda: site, sync_to_thread=False)},
        middleware=[
            session_config(secret).middleware,
            DefineMiddleware(SessionCSRF, secret=secret),
        ],
        template_config=TemplateConfig(
            directory=HERE / "templates", engine=JinjaTemplateEngine, engine_callback=_filters
        ),
        exception_handlers={NotAuthorizedException: _to_login},
        request_max_body_size=2 * MAX_PROOF_BYTES + 2_000_000,
        openapi_config=None,
    )
