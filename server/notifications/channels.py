"""Where a notification goes: pluggable channels (SMTP e-mail, an HTTP SMS gateway).

A channel names the recipient's address on a shipment and sends one message,
answering '' when the far side accepted it, else the error. ``key`` is the
message's stable identity (Message-ID, Idempotency-Key), the same on every
retry, so a provider that got an ambiguous first try can drop the second.
"""

from __future__ import annotations

import smtplib
from dataclasses import dataclass
from email.message import EmailMessage
from typing import Protocol

import anyio.to_thread
import httpx

from protocol.info import ShipmentInfo


class Channel(Protocol):
    @property
    def name(self) -> str:
        """The channel's name in the queue (``email``, ``sms``)."""
        ...

    def address(self, info: ShipmentInfo) -> str:
        """The recipient's address on this channel ('' when the shipment has none)."""
        ...

    async def send(self, to: str, subject: str, text: str, key: str) -> str:
        """Send one message; '' when accepted, else why not."""
        ...


@dataclass(frozen=True, slots=True)
class SmtpChannel:
    """Plain SMTP (a local relay or the provider's submission port)."""

    host: str
    port: int
    sender: str
    timeout: float = 10.0
    name: str = "email"

    def address(self, info: ShipmentInfo) -> str:
        return info.recipient_email.strip()

    async def send(self, to: str, subject: str, text: str, key: str) -> str:
        message = EmailMessage()
        message["From"], message["To"], message["Subject"] = self.sender, to, subject
        message["Message-ID"] = f"<{key.replace(':', '.')}@parcelsync>"
        message.set_content(text)
        try:
            await anyio.to_thread.run_sync(self._deliver, message)
        except (smtplib.SMTPException, OSError) as exc:
            return f"{type(exc).__name__}: {exc}"[:500]
        return ""

    def _deliver(self, message: EmailMessage) -> None:
        with smtplib.SMTP(self.host, self.port, timeout=self.timeout) as smtp:
            smtp.send_message(message)


@dataclass(frozen=True, slots=True)
class SmsGateway:
    """An HTTP SMS (or WhatsApp) gateway: ``POST {"id", "to", "text"}`` as JSON."""

    url: str
    client: httpx.AsyncClient
    name: str = "sms"

    def address(self, info: ShipmentInfo) -> str:
        return info.recipient_phone.strip()

    async def send(self, to: str, subject: str, text: str, key: str) -> str:
        body = {"id": key, "to": to, "text": text}
        try:
            answer = await self.client.post(self.url, json=body, headers={"Idempotency-Key": key})
        except httpx.HTTPError as exc:
            return f"{type(exc).__name__}: {exc}"[:500]
        return "" if answer.is_success else f"HTTP {answer.status_code}"
