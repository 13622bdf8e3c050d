"""Central as its own process: the one place that knows how to tell it is up.

The demo, ``parcelsync simulate --processes``, the benchmarks and the tests
start central as a process and wait here until it answers HTTP.
"""

from __future__ import annotations

import asyncio
import subprocess
import time

import httpx

READY_PATH = "/schema/openapi.json"  # served once the app has started


def wait_answering(url: str, process: subprocess.Popen[bytes], timeout_s: float = 30) -> None:
    """Block until central at ``url`` answers, or raise: its ``process`` exited first,
    or ``timeout_s`` passed."""
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(
                f"central exited with status {process.returncode}: is the port free?"
            )
        try:
            if httpx.get(url + READY_PATH, timeout=1).status_code == 200:
                return
        except httpx.TransportError:
            pass
        time.sleep(0.05)
    raise RuntimeError(f"central did not answer at {url} within {timeout_s:g} s")


async def until_answering(
    url: str, process: subprocess.Popen[bytes], timeout_s: float = 30
) -> None:
    """:func:`wait_answering` without blocking the event loop."""
    await asyncio.to_thread(wait_answering, url, process, timeout_s)
