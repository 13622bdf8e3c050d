"""A handheld node serving its courier's pages in-process, and a client that signs in.

The node's upstream is a closed port: everything here happens offline, as on
the road. Ids, days and clocks are the deterministic ones of ``_edge_world``.
"""

from __future__ import annotations

import base64
import re
import struct
import zlib
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path

import httpx

from edge.node import EdgeNode
from edge.sync_loop import Backoff
from protocol.commands import DocCommand
from protocol.permissions import Device

from ._edge_world import Wall, handheld, node, seed

CSRF = "_csrf_token"
PIN = "2468"


def png(width: int = 4, height: int = 2, shade: int = 0) -> bytes:
    """A real (tiny, grey) PNG file."""

    def chunk(kind: bytes, data: bytes) -> bytes:
        body = kind + data
        return struct.pack(">I", len(data)) + body + struct.pack(">I", zlib.crc32(body))

    raw = b"".join(b"\x00" + bytes([shade]) * width for _ in range(height))
    header = struct.pack(">IIBBBBB", width, height, 8, 0, 0, 0, 0)
    return (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", header)
        + chunk(b"IDAT", zlib.compress(raw))
        + chunk(b"IEND", b"")
    )


def data_url(image: bytes) -> str:
    return "data:image/png;base64," + base64.b64encode(image).decode()


def token(page: httpx.Response) -> str:
    """The CSRF token in a page's forms."""
    found = re.search(f'name="{CSRF}" value="([^"]+)"', page.text)
    assert found, page.text
    return found.group(1)


@asynccontextmanager
async def handheld_pages(
    path: Path,
    commands: list[tuple[str, DocCommand]],
    cash_limit: int | None = None,
    device: Device | None = None,
) -> AsyncIterator[EdgeNode]:
    """A courier handheld at ``path`` holding ``commands``, its pages on a free port."""
    ctx = await node(path, device or handheld(), cash_limit=cash_limit)
    await seed(ctx.store, commands)
    await ctx.close()
    hh = EdgeNode(
        path,
        upstream="http://127.0.0.1:9",
        token="unused",
        wall=Wall(),
        pages=("127.0.0.1", 0),
        backoff=Backoff(base=5, cap=10),
    )
    async with hh:
        yield hh


def client(hh: EdgeNode) -> httpx.AsyncClient:
    assert hh.pages is not None
    return httpx.AsyncClient(base_url=f"http://127.0.0.1:{hh.pages.port}", timeout=10)


async def sign_in(web: httpx.AsyncClient, pin: str = PIN) -> None:
    """Choose the PIN (first use) or type it."""
    form = await web.get("/login")
    answer = await web.post("/login", data={"pin": pin, "pin2": pin, CSRF: token(form)})
    assert answer.status_code == 303, answer.text
