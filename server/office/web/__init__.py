"""Head-office pages and the public tracking page, server-rendered with Jinja.

``office_web_handlers()`` gives the routes to register on the central app and
``office_templates()`` its template config::

    /office/login, /office/logout       the office token in, a session cookie out
                                        (every POST under /office needs the CSRF token)
    /office/                            overview, refreshed live over /office/events (SSE)
    /office/tables/{name}[.csv]         any office table, filter form, CSV export
    /office/shipments/{doc_id}          one shipment; POST .../resolve settles a conflict
    /office/conflicts/{doc}/{conflict}  a conflict's facts side by side; POST .../resolve
    /office/reorder                     reorder suggestions, warnings before stock-outs
    /office/manifest.pdf                a courier's route manifest of a day (PDF)
    /office/proofs/{sha256}             a delivery's signature or photo, once uploaded
    /office/static/...                  css and plain js (no build chain, no CDN)
    /track/{tracking_number}            public tracking page
    POST /track/{tracking_number}/day, /instructions   the recipient's new date, instructions
"""

from __future__ import annotations

from pathlib import Path

from litestar import Router
from litestar.di import Provide
from litestar.exceptions import HTTPException, NotAuthorizedException
from litestar.middleware.base import DefineMiddleware
from litestar.plugins.jinja import JinjaTemplateEngine
from litestar.static_files import create_static_files_router
from litestar.template.config import TemplateConfig
from litestar.types import ControllerRouterHandler

from .conflict import ConflictPages
from .errors import on_http_error
from .followup_forms import ShipmentFollowUpPages
from .formatting import choice_text, figure_text, name_of, row_texts, time_text
from .login import OfficeLogin, on_not_authorized
from .manifest import ManifestPages
from .pages import OfficePages
from .proofs import ProofFilesPage
from .reorder import ReorderPages
from .session import OfficeCookies, SessionKeyring, office_device
from .shipment import ShipmentPages
from .tracking import tracking_router

__all__ = ["office_templates", "office_web_handlers"]

HERE = Path(__file__).resolve().parent


def office_web_handlers(secure_cookies: bool = False) -> list[ControllerRouterHandler]:
    """The office pages (behind the session and CSRF middleware), static files, tracking page.

    The pages read the app's ``office_service`` dependency (an ``OfficeReader``).
    ``secure_cookies`` marks the office cookies Secure even on plain http
    requests (they always are on https ones).
    """
    office = Router(
        path="/",
        route_handlers=[
            OfficeLogin,
            OfficePages,
            ReorderPages,
            ManifestPages,
            ShipmentPages,
            ConflictPages,
            ShipmentFollowUpPages,
            ProofFilesPage,
        ],
        middleware=[
            DefineMiddleware(OfficeCookies, keyring=SessionKeyring(), secure=secure_cookies)
        ],
        dependencies={
            "office_device": Provide(office_device),
        },
        exception_handlers={
            NotAuthorizedException: on_not_authorized,
            HTTPException: on_http_error,
        },
        include_in_schema=False,
    )
    static = create_static_files_router(
        path="/office/static", directories=[HERE / "static"], include_in_schema=False
    )
    return [office, static, tracking_router()]


def _register_filters(engine: JinjaTemplateEngine) -> None:
    engine.engine.filters.update(figure=figure_text, when=time_text)
    engine.engine.globals.update(row_texts=row_texts, names_of=name_of, choice_text=choice_text)


def office_templates() -> TemplateConfig[JinjaTemplateEngine]:
    """Jinja templates of the office and tracking pages (autoescaped)."""
    return TemplateConfig(
        directory=HERE / "templates",
        engine=JinjaTemplateEngine,
        engine_callback=_register_filters,
    )
