"""``/office/reorder``: reorder suggestions, with a warning before each forecast stock-out."""

from __future__ import annotations

import datetime as dt
from typing import Annotated

from litestar import Controller, get
from litestar.params import Parameter
from litestar.response import Template

from protocol.permissions import Device
from protocol.reorder import Alert, Policy

from ..reorder import ReorderService
from .pages import LOGIN_PAGE, Reader, nav_context

URGENT = frozenset({Alert.OUT.value, Alert.STOCKOUT.value})


class ReorderPages(Controller):
    path = "/office/reorder"
    include_in_schema = False

    @get("/", opt=LOGIN_PAGE)
    async def reorder(
        self,
        office_device: Device,
        office_service: Reader,
        reorder_service: ReorderService,
        merchant: Annotated[str, Parameter(max_length=200)] = "",
        depot: Annotated[str, Parameter(max_length=200)] = "",
        sku: Annotated[str, Parameter(max_length=100)] = "",
        lead_time_days: Annotated[int, Parameter(ge=1, le=365)] = 7,
        review_days: Annotated[int, Parameter(ge=0, le=365)] = 14,
        as_of: dt.date | None = None,
    ) -> Template:
        """Every merchant's SKUs (or one merchant's), those running out first on top."""
        policy = Policy(lead_time_days, review_days)
        rows = await reorder_service.suggestions(merchant or None, policy, as_of, depot, sku)
        fields = {
            "merchant": merchant,
            "depot": depot,
            "sku": sku,
            "lead_time_days": str(lead_time_days),
            "review_days": str(review_days),
            "as_of": as_of.isoformat() if as_of else "",
        }
        context = {
            "rows": rows,
            "urgent": [r for r in rows if r.alert in URGENT],
            "fields": fields,
            "as_of": as_of or reorder_service.today(),
        }
        return Template("reorder.html", context=context | nav_context(office_service))
