"""``parcelsync office``: head office's writes from the command line, through the API.

The commands talk to a running central over HTTP with a head-office token, so
they go through the same checks as the office page and the API.
"""

from __future__ import annotations

import click
import httpx

from protocol.errors import InvalidMoney
from protocol.money import Money, parse_amount

from ..followups.cli import FOLLOWUP_COMMANDS


@click.group()
def office() -> None:
    """Head-office actions on a running central (reversals, adjustments)."""


@office.command()
@click.option("--url", default="http://127.0.0.1:8000", show_default=True, help="Central.")
@click.option("--token", envvar="PARCELSYNC_OFFICE_TOKEN", required=True, help="Office token.")
@click.option("--entry", "entry_id", required=True, help="Collection event, entry or handover.")
@click.option("--amount", required=True, help="Amount to reverse, like 2.50.")
@click.option("--currency", required=True, help="ISO 4217 currency of the amount.")
@click.option("--reason", required=True, help="Why (kept with the entry).")
@click.option("--discrepancy", default="", help="Id of the discrepancy this answers.")
def reverse(
    url: str, token: str, entry_id: str, amount: str, currency: str, reason: str, discrepancy: str
) -> None:
    """Record a reversing entry (or a count adjustment) with its reason."""
    try:
        minor = parse_amount(amount, currency)
    except InvalidMoney as exc:
        raise click.BadParameter(str(exc), param_hint="--amount") from None
    body = {"entry_id": entry_id, "amount": minor, "reason": reason, "discrepancy": discrepancy}
    headers = {"authorization": f"Bearer {token}"}
    try:
        answer = httpx.post(f"{url}/api/v1/office/reversals", json=body, headers=headers)
    except httpx.TransportError as exc:
        raise click.ClickException(f"cannot reach central at {url}: {exc}") from None
    if answer.status_code != 201:
        detail = answer.json().get("detail", answer.text) if answer.content else answer.text
        raise click.ClickException(f"refused ({answer.status_code}): {detail}")
    out = answer.json()
    click.echo(
        f"reversed {Money(out['amount'], out['currency']).format()} of {entry_id} "
        f"(entry {out['event_id']})"
    )


for _command in FOLLOWUP_COMMANDS:
    office.add_command(_command)
