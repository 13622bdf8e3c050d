"""The courier's sign-in: a PIN chosen on first use, checked after (see :mod:`.pin`)."""

from __future__ import annotations

from typing import Annotated, Any

import msgspec
from litestar import Controller, Request, get, post
from litestar.di import NamedDependency
from litestar.params import URLEncodedBody
from litestar.response import Redirect, Template

from ..errors import InvalidInput
from .pin import has_pin, set_pin, verify_pin
from .session import sign_in, sign_out
from .site import Site, page

SiteDep = NamedDependency[Site]
Short = Annotated[str, msgspec.Meta(max_length=200)]


class PinForm(msgspec.Struct):
    pin: Short = ""
    pin2: Short = ""


class CourierSignIn(Controller):
    include_in_schema = False

    @get("/login")
    async def login_form(self, site: SiteDep, request: Request[Any, Any, Any]) -> Template:
        """The PIN pad; on first use it asks to choose a PIN."""
        first = not await has_pin(site.ctx.store, site.ctx.identity.courier_id)
        return await page(site, request, "login.html", first=first)

    @post("/login", status_code=303)
    async def login(
        self,
        site: SiteDep,
        request: Request[Any, Any, Any],
        data: URLEncodedBody[PinForm],
    ) -> Redirect | Template:
        """Check (or, on first use, set) the courier's PIN and start the session."""
        store, courier = site.ctx.store, site.ctx.identity.courier_id
        first = not await has_pin(store, courier)
        try:
            if first:
                if data.pin != data.pin2:
                    raise InvalidInput("the two PINs differ: type the same PIN twice")
                await set_pin(store, courier, data.pin)
            elif not await verify_pin(store, courier, data.pin, site.ctx.wall()):
                raise InvalidInput("wrong PIN")
        except InvalidInput as exc:
            errors = {"pin": str(exc)}
            return await page(site, request, "login.html", 401, first=first, errors=errors)
        sign_in(request, site.ctx)
        return Redirect("/", status_code=303)

    @post("/logout", status_code=303)
    async def logout(self, request: Request[Any, Any, Any]) -> Redirect:
        """End the session."""
        return sign_out(request)
