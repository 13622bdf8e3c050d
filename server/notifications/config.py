"""Which notification channels central runs, from its flags / environment."""

from __future__ import annotations

from dataclasses import dataclass

import httpx

from .channels import Channel, SmsGateway, SmtpChannel


@dataclass(frozen=True, slots=True)
class NotifyConfig:
    """``smtp_host`` enables e-mail, ``sms_gateway_url`` SMS; ``public_url`` is the
    base of the tracking links in the messages (none when empty)."""

    smtp_host: str = ""
    smtp_port: int = 25
    smtp_from: str = "parcelsync@localhost"
    sms_gateway_url: str = ""
    public_url: str = ""

    def __post_init__(self) -> None:
        if not 0 < self.smtp_port < 65536:
            raise ValueError(f"smtp_port {self.smtp_port} is not a TCP port")
        if self.sms_gateway_url and not self.sms_gateway_url.startswith(("http://", "https://")):
            raise ValueError(f"sms_gateway_url {self.sms_gateway_url!r} is not an http(s) URL")

    def channels(self, client: httpx.AsyncClient) -> list[Channel]:
        """The configured channels (the SMS gateway posts with ``client``)."""
        out: list[Channel] = []
        if self.smtp_host:
            out.append(SmtpChannel(self.smtp_host, self.smtp_port, self.smtp_from))
        if self.sms_gateway_url:
            out.append(SmsGateway(self.sms_gateway_url, client))
        return out


NO_NOTIFICATIONS = NotifyConfig()
