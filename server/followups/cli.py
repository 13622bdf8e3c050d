"""``parcelsync office decide|lost|found|max-attempts``: head office's follow-ups from the
command line, through the API of a running central (the same checks as the API)."""

from __future__ import annotations

from typing import Any

import click
import httpx

url_option = click.option(
    "--url", default="http://127.0.0.1:8000", show_default=True, help="Central."
)
token_option = click.option(
    "--token", envvar="PARCELSYNC_OFFICE_TOKEN", required=True, help="Office token."
)


def call(url: str, token: str, method: str, path: str, body: dict[str, Any]) -> dict[str, Any]:
    """One API request; a refusal or an unreachable central is one clear line."""
    headers = {"authorization": f"Bearer {token}"}
    try:
        answer = httpx.request(method, f"{url}{path}", json=body, headers=headers, timeout=30)
    except httpx.TransportError as exc:
        raise click.ClickException(f"cannot reach central at {url}: {exc}") from None
    if answer.status_code >= 400:
        detail = answer.json().get("detail", answer.text) if answer.content else answer.text
        extra = answer.json().get("extra") if answer.content else None
        more = f" {extra}" if extra else ""
        raise click.ClickException(f"refused ({answer.status_code}): {detail}{more}")
    out: dict[str, Any] = answer.json()
    return out


def _done(out: dict[str, Any]) -> None:
    click.echo(f"{out['type']} {out['event_id']} on {out['shipment_id']}: now {out['status']}")


@click.command()
@url_option
@token_option
@click.argument("shipment_id")
@click.option(
    "--reattempt", "decision", flag_value="reattempt", default=True, help="Deliver again."
)
@click.option("--return", "decision", flag_value="return", help="Return to origin.")
@click.option("--day", default="", help="New delivery day YYYY-MM-DD.")
@click.option("--address", default="", help="Corrected street address.")
@click.option("--postcode", default="")
@click.option("--city", default="")
@click.option("--slot-start", default="", help="HH:MM or YYYY-MM-DDTHH:MM[+hh:mm].")
@click.option("--slot-end", default="")
@click.option("--reason", default="", help="Why (kept in the shipment's history).")
def decide(url: str, token: str, shipment_id: str, decision: str, day: str, **fields: str) -> None:
    """Answer the hold of SHIPMENT_ID: deliver again (on a day, to an address, in a slot)
    or return it to origin."""
    body = {"decision": decision, "route_day": day} | fields
    _done(call(url, token, "POST", f"/api/v1/shipments/{shipment_id}/decision", body))


@click.command()
@url_option
@token_option
@click.argument("shipment_id")
@click.option("--liable", required=True, help="Who bears the loss (courier, depot, carrier).")
@click.option("--note", default="")
def lost(url: str, token: str, shipment_id: str, liable: str, note: str) -> None:
    """Mark SHIPMENT_ID lost, recording who is liable."""
    body = {"liable": liable, "note": note}
    _done(call(url, token, "POST", f"/api/v1/office/shipments/{shipment_id}/lost", body))


@click.command()
@url_option
@token_option
@click.argument("shipment_id")
@click.option("--depot", "depot_id", default="", help="Where it turned up (default its depot).")
@click.option("--note", default="")
def found(url: str, token: str, shipment_id: str, depot_id: str, note: str) -> None:
    """Record the lost SHIPMENT_ID found again."""
    body = {"depot_id": depot_id, "note": note}
    _done(call(url, token, "POST", f"/api/v1/office/shipments/{shipment_id}/found", body))


@click.command("max-attempts")
@url_option
@token_option
@click.argument("merchant_id")
@click.argument("attempts", type=int)
def max_attempts(url: str, token: str, merchant_id: str, attempts: int) -> None:
    """Failed attempts before MERCHANT_ID's new shipments return to origin."""
    path = f"/api/v1/office/merchants/{merchant_id}/max-attempts"
    out = call(url, token, "PUT", path, {"max_attempts": attempts})
    click.echo(f"{out['merchant_id']}: {out['max_attempts']} attempts before a return")


FOLLOWUP_COMMANDS = (decide, lost, found, max_attempts)
