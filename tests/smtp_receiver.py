"""A real SMTP server on 127.0.0.1 (aiosmtpd) that keeps every message it accepts."""

from __future__ import annotations

import email
import email.policy
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from email.message import EmailMessage
from typing import Any

from aiosmtpd.controller import Controller


class Mailbox:
    """The handler: parses each DATA into an ``EmailMessage``; waiters wake on each."""

    def __init__(self) -> None:
        self.messages: list[EmailMessage] = []
        self.changed = threading.Condition()

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        parsed = email.message_from_bytes(envelope.content, policy=email.policy.default)
        assert isinstance(parsed, EmailMessage)
        with self.changed:
            self.messages.append(parsed)
            self.changed.notify_all()
        return "250 OK"

    def wait_until(self, done: Callable[[list[EmailMessage]], bool], timeout: float = 15) -> None:
        """Return once ``done(messages)`` holds; fails after ``timeout`` seconds."""
        with self.changed:
            assert self.changed.wait_for(lambda: done(self.messages), timeout), self.messages


@contextmanager
def smtp_server() -> Iterator[tuple[Mailbox, int]]:
    """A mailbox served over SMTP on 127.0.0.1; yields it and its port."""
    from .server_fixtures import free_port  # loaded as a plugin first: import late

    box, port = Mailbox(), free_port()
    controller = Controller(box, hostname="127.0.0.1", port=port)
    controller.start()
    try:
        yield box, port
    finally:
        controller.stop()
