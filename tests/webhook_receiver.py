"""A webhook receiver on 127.0.0.1 for the server tests."""

from __future__ import annotations

import json
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any


class Receiver:
    """Answers 500 to its first ``fail`` requests and to the first ``fail_each``
    attempts of every delivery (by envelope id), else 200; records every request."""

    def __init__(self, fail: int, fail_each: int = 0):
        self.fail, self.fail_each = fail, fail_each
        self.requests: list[tuple[dict[str, str], bytes]] = []
        self.delivered: list[dict[str, Any]] = []
        self.changed = threading.Condition()
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                body = self.rfile.read(int(self.headers["content-length"]))
                with receiver.changed:
                    ok = receiver.answer(dict(self.headers), body)
                    receiver.changed.notify_all()
                self.send_response(200 if ok else 500)
                self.end_headers()

            def log_message(self, *args: object) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/hook"

    def answer(self, headers: dict[str, str], body: bytes) -> bool:
        """Record one request; True when it is answered 200."""
        envelope = json.loads(body)
        tries = sum(json.loads(b)["id"] == envelope["id"] for _, b in self.requests)
        self.requests.append((headers, body))
        ok = len(self.requests) > self.fail and tries >= self.fail_each
        if ok:
            self.delivered.append(envelope)
        return ok

    def attempts(self, envelope_id: str) -> list[str]:
        """The attempt headers of every request carrying ``envelope_id``."""
        with self.changed:
            return [
                h["X-Parcelsync-Attempt"]
                for h, b in self.requests
                if json.loads(b)["id"] == envelope_id
            ]

    def wait_for(self, count: int, timeout: float = 10) -> list[dict[str, Any]]:
        """The deliveries once there are at least ``count`` (fails after ``timeout`` s)."""
        with self.changed:
            assert self.changed.wait_for(lambda: len(self.delivered) >= count, timeout)
            return list(self.delivered)

    def wait_until(self, done: Callable[[Receiver], bool], timeout: float = 15) -> None:
        """Return once ``done(self)`` holds (checked on every request); fails after ``timeout``."""
        with self.changed:
            assert self.changed.wait_for(lambda: done(self), timeout), self.requests

    def succeed_from_now(self) -> None:
        """Answer 200 to every later request."""
        with self.changed:
            self.fail = len(self.requests)


@contextmanager
def running(hook: Receiver) -> Iterator[Receiver]:
    """``hook`` serving on its own thread for the ``with`` block."""
    thread = threading.Thread(target=hook.server.serve_forever, daemon=True)
    thread.start()
    try:
        yield hook
    finally:
        hook.server.shutdown()
        hook.server.server_close()
