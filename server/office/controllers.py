"""``/api/v1/office/...`` (head-office token) and ``/api/v1/stock`` (merchants)."""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Any

from litestar import Controller, Request, get, post, put
from litestar.exceptions import ClientException, NotFoundException, PermissionDeniedException
from litestar.params import Parameter

from protocol.permissions import Device
from protocol.reorder import Policy
from protocol.vocab import Role

from ..auth import merchant_of
from .actions import OfficeActions
from .reorder import ReorderService
from .schemas import (
    CashLimitIn,
    CashLimitOut,
    RemittanceIn,
    RemittanceOut,
    ReorderOut,
    ResolveIn,
    ResolveOut,
    ReversalIn,
    ReversalOut,
    StockOut,
    TermsIn,
    TermsOut,
)
from .service import OfficeService
from .views import Overview, Table


def office_only(device: Device) -> None:
    """403 unless ``device`` is a head-office device."""
    if device.role != Role.OFFICE:
        raise PermissionDeniedException("the office API needs a head-office token")


async def read_table(office: OfficeService, name: str, filters: dict[str, str]) -> Table:
    """A table, with 404 for an unknown name and 400 naming a bad filter."""
    try:
        return await office.table(name, filters)
    except KeyError:
        known = ", ".join(office.table_names)
        raise NotFoundException(f"no table {name!r}; tables: {known}") from None
    except ValueError as exc:
        raise ClientException(str(exc)) from None


class OfficeController(Controller):
    path = "/api/v1/office"
    tags = ["office"]

    @get("/overview")
    async def overview(
        self, request: Request[Any, Any, Any], device: Device, office_service: OfficeService
    ) -> Overview:
        """The overview's figures of a period (``?period=today|yesterday|week|month`` or
        ``?from=&to=``, days in the operation's time zone; all time without)."""
        office_only(device)
        try:
            return await office_service.overview(dict(request.query_params))
        except ValueError as exc:
            raise ClientException(str(exc)) from None

    @get("/tables/{name:str}")
    async def table(
        self,
        name: str,
        request: Request[Any, Any, Any],
        device: Device,
        office_service: OfficeService,
    ) -> Table:
        """Any office table; its filters are the query parameters (``?merchant=..&from=..``)."""
        office_only(device)
        return await read_table(office_service, name, dict(request.query_params))

    @put("/merchants/{merchant_id:str}/terms")
    async def set_terms(
        self, merchant_id: str, data: TermsIn, device: Device, office_actions: OfficeActions
    ) -> TermsOut:
        """Set a merchant's COD fee terms (basis points and a fixed fee per line), and name."""
        office_only(device)
        name = await office_actions.set_terms(merchant_id, data, device.id)
        return TermsOut(merchant_id, data.fee_percent_bp, data.fee_fixed_minor, name)

    @put("/couriers/{courier_id:str}/cash-limit")
    async def set_cash_limit(
        self, courier_id: str, data: CashLimitIn, device: Device, office_actions: OfficeActions
    ) -> CashLimitOut:
        """Set the cash a courier may hold before a handover is due; it syncs to the
        courier's handheld, which enforces it offline."""
        office_only(device)
        book_id = await office_actions.set_cash_limit(courier_id, data, device.id)
        return CashLimitOut(courier_id, data.cash_limit_minor, data.currency, book_id)

    @post("/remittances", status_code=201)
    async def remit(
        self, data: RemittanceIn, device: Device, office_actions: OfficeActions
    ) -> list[RemittanceOut]:
        """Pay a merchant its statement's unpaid lines; 409 when nothing is left to pay."""
        office_only(device)
        return await office_actions.remit(data, device.id)

    @post("/conflicts/{doc_id:str}/{conflict_id:str}/resolve", status_code=201)
    async def resolve(
        self,
        doc_id: str,
        conflict_id: str,
        data: ResolveIn,
        device: Device,
        office_actions: OfficeActions,
    ) -> ResolveOut:
        """Resolve an open conflict with a new event; it leaves the queue on every replica."""
        office_only(device)
        return await office_actions.resolve(doc_id, conflict_id, data, device.id)

    @post("/reversals", status_code=201)
    async def reverse(
        self, data: ReversalIn, device: Device, office_actions: OfficeActions
    ) -> ReversalOut:
        """Record a reversing entry or a count adjustment, with its reason and the
        discrepancy it answers; the discrepancy closes on every replica."""
        office_only(device)
        return await office_actions.reverse(data, device.id)


class StockController(Controller):
    path = "/api/v1/stock"
    tags = ["returns"]

    @get("/")
    async def stock(
        self, device: Device, office_service: OfficeService, merchant_id: str = ""
    ) -> list[StockOut]:
        """Restocked minus dispatched units per SKU per depot, for the caller's merchant."""
        merchant = merchant_of(device, merchant_id)
        table = await office_service.table("stock", {"merchant": merchant})
        return [StockOut(str(r[0]), str(r[1]), str(r[2]), int(r[3] or 0)) for r in table.rows]

    @get("/reorder")
    async def reorder(
        self,
        device: Device,
        reorder_service: ReorderService,
        merchant_id: str = "",
        depot: Annotated[str, Parameter(max_length=200)] = "",
        sku: Annotated[str, Parameter(max_length=100)] = "",
        lead_time_days: Annotated[int, Parameter(ge=1, le=365)] = 7,
        review_days: Annotated[int, Parameter(ge=0, le=365)] = 14,
        service_level: Annotated[float, Parameter(ge=0.5, le=0.999)] = 0.95,
        as_of: dt.date | None = None,
    ) -> list[ReorderOut]:
        """Days of cover, forecast stock-out, reorder point and quantity per SKU and depot.

        Croston/SBA for intermittent demand, SES otherwise; ``as_of`` defaults to
        central's UTC day. Rows that will run out first come first.
        """
        merchant = merchant_of(device, merchant_id)
        policy = Policy(lead_time_days, review_days, service_level)
        return await reorder_service.suggestions(merchant, policy, as_of, depot, sku)
