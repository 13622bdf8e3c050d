"""Webhooks that cannot hurt anyone: one bad hook never holds up another, URLs
inside the network are refused, signatures carry a timestamp, and merchants
manage their hooks (list, rotate, delete, recent deliveries) over the API."""

from __future__ import annotations

import json
import sqlite3
import time
from pathlib import Path
from typing import TYPE_CHECKING

import anyio
import pytest

from protocol.ids import new_id
from server.webhooks.signing import SIGNATURE_HEADER, verify

from .webhook_receiver import Receiver, running

if TYPE_CHECKING:
    from .server_fixtures import Central, Names

pytest_plugins = ["tests.server_fixtures"]


def _shipment(ref: str) -> dict[str, object]:
    return {"order_ref": ref, "currency": "EUR"}


def _plant_hook(db_path: Path, merchant: str, url: str) -> None:
    """A hook as an older server let it register (the schema's pattern passes it)."""
    with sqlite3.connect(db_path, timeout=10) as db:
        db.execute(
            "INSERT INTO webhooks (webhook_id, merchant_id, url, secret, created_at) "
            "VALUES (?, ?, ?, 'secret', 0)",
            (new_id(), merchant, url),
        )


async def test_a_broken_hook_does_not_hold_up_the_others(central: Central, names: Names):
    broken = f"{names.merchant}-broken"
    _plant_hook(central.db_path, broken, "http://[::1")
    with running(Receiver(fail=0)) as good, running(Receiver(fail=0, fail_each=3)) as slow:
        _, broken_token = central.enrol("merchant", merchant_id=broken)
        with central.api(broken_token) as api:
            assert api.post("/api/v1/shipments", json=_shipment("B-1")).status_code == 201
        for hook, merchant in ((good, names.merchant), (slow, f"{names.merchant}-slow")):
            _, token = central.enrol("merchant", merchant_id=merchant)
            with central.api(token) as api:
                api.post("/api/v1/webhooks", json={"url": hook.url}).raise_for_status()
                assert api.post("/api/v1/shipments", json=_shipment("G-1")).status_code == 201
        with anyio.fail_after(20):  # four rounds of the worker at least
            await anyio.to_thread.run_sync(slow.wait_for, 1, 20)
    assert [h["X-Parcelsync-Attempt"] for h, _ in slow.requests] == ["1", "2", "3", "4"]
    assert len(good.requests) == 1, "delivered once, and marked so"


@pytest.mark.parametrize(
    "url",
    [
        "http://[::1",
        "http://127.0.0.1:9/hook",
        "http://169.254.169.254/latest/meta-data",
        "http://10.1.2.3/hook",
        "http://192.168.0.10/hook",
        "https://localhost/hook",
        "http://[::ffff:127.0.0.1]/hook",
        "http://[fe80::1]/hook",
        "http://0.0.0.0/hook",
    ],
)
def test_urls_inside_the_network_are_refused(strict_central: Central, url: str):
    with strict_central.api() as api:
        answer = api.post("/api/v1/webhooks", json={"url": url, "merchant_id": "M-strict"})
        listed = api.get("/api/v1/webhooks").json()
    assert answer.status_code == 400, answer.text
    assert "url" in answer.text
    assert listed == []


@pytest.fixture(scope="module")
def strict_central(tmp_path_factory: pytest.TempPathFactory):  # type: ignore[no-untyped-def]
    """A central that refuses private webhook addresses (the default outside tests)."""
    from .server_fixtures import start_central, stop_central

    server = start_central(
        tmp_path_factory.mktemp("strict") / "central.db", webhook_allow_private=False
    )
    yield server
    stop_central(server)


async def test_signatures_carry_a_timestamp_and_secrets_rotate(central: Central, names: Names):
    _, token = central.enrol("merchant", merchant_id=names.merchant)
    with running(Receiver(fail=0)) as hook:
        with central.api(token) as api:
            registered = api.post("/api/v1/webhooks", json={"url": hook.url}).json()
            assert api.post("/api/v1/shipments", json=_shipment("S-1")).status_code == 201
            with anyio.fail_after(20):
                await anyio.to_thread.run_sync(hook.wait_for, 1, 20)
            rotated = api.post(f"/api/v1/webhooks/{registered['id']}/rotate")
            assert api.post("/api/v1/shipments", json=_shipment("S-2")).status_code == 201
            with anyio.fail_after(20):
                await anyio.to_thread.run_sync(hook.wait_for, 2, 20)
    (first_headers, first), (second_headers, second) = hook.requests
    now = int(time.time())
    old, new = registered["secret"], rotated.json()["secret"]
    assert rotated.status_code == 200 and new != old
    assert verify(old, first_headers[SIGNATURE_HEADER], first, now)
    assert verify(new, second_headers[SIGNATURE_HEADER], second, now)
    assert not verify(old, second_headers[SIGNATURE_HEADER], second, now), "old secret retired"
    assert not verify(old, first_headers[SIGNATURE_HEADER], first, now + 3600), "a replay"
    assert not verify(old, first_headers[SIGNATURE_HEADER], first + b" ", now)


async def test_merchants_list_see_deliveries_and_delete_their_hooks(central: Central, names: Names):
    _, token = central.enrol("merchant", merchant_id=names.merchant)
    _, other = central.enrol("merchant", merchant_id=f"{names.merchant}-other")
    with running(Receiver(fail=0)) as hook, central.api(token) as api:
        hook_id = api.post("/api/v1/webhooks", json={"url": hook.url}).json()["id"]
        assert api.post("/api/v1/shipments", json=_shipment("L-1")).status_code == 201
        with anyio.fail_after(20):
            [envelope] = await anyio.to_thread.run_sync(hook.wait_for, 1, 20)
        listed = api.get("/api/v1/webhooks").json()
        with central.api(other) as stranger:
            assert stranger.get(f"/api/v1/webhooks/{hook_id}/deliveries").status_code == 404
            assert stranger.delete(f"/api/v1/webhooks/{hook_id}").status_code == 404
        deliveries = api.get(f"/api/v1/webhooks/{hook_id}/deliveries").json()
        assert api.delete(f"/api/v1/webhooks/{hook_id}").status_code == 204
        after = api.get("/api/v1/webhooks").json()
        gone = api.get(f"/api/v1/webhooks/{hook_id}/deliveries")
    assert [h["id"] for h in listed] == [hook_id]
    assert all("secret" not in h or h["secret"] is None for h in listed)
    assert [d["event"] for d in deliveries] == [envelope["event"]]
    assert deliveries[0]["attempts"] == 1
    assert isinstance(deliveries[0]["delivered_at_ms"], int)
    assert after == [] and gone.status_code == 404
    assert json.loads(hook.requests[0][1])["id"] == envelope["id"]
