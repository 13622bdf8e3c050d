"""Property: hostile but well-formed pushes never hurt anyone else (issue 15).

Random sequences of pushes from random attacker roles (a courier, a merchant,
another depot), with random actors, clocks, owners, ids and tracking numbers,
against the real central. Each push is either accepted or refused with a code;
afterwards the office pages (their folds) and the tracking pages still render
and the victims' documents (another courier's shipment and cash book, another
merchant's shipment) are exactly as they were.
"""

from __future__ import annotations

import time
import uuid
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

import anyio
import httpx
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from protocol.ids import courier_book_id, make_tracking_number
from sync._doc_cache import LoadedDoc

from .hostile import Hostile, book_info, hostile, office_pages, tracking_number
from .server_helpers import routed, seed

if TYPE_CHECKING:
    from .server_fixtures import Central, Names

pytest_plugins = ["tests.server_fixtures"]

DAY = "2026-12-04"
FUTURE = "2027-02-02"
HOUR_MS = 3_600_000


@dataclass
class World:
    """Attackers, victims and the documents each holds."""

    names: Names
    attackers: dict[str, Hostile]
    docs: dict[str, str]  # role of the document in the story -> doc id
    victims: tuple[str, ...]
    tracking: dict[str, str]  # doc role -> tracking number
    office: Hostile


@pytest.fixture(scope="module")
def world(central: Central, tmp_path_factory: pytest.TempPathFactory) -> World:
    from .server_fixtures import Names

    tag = uuid.uuid4().hex[:8]
    names = Names(f"D-{tag}", f"C-{tag}", f"C2-{tag}", f"M-{tag}")
    tmp = tmp_path_factory.mktemp("hostile")

    async def build() -> World:
        own, victims_route = await seed(central, names, 2)
        victim_merchant = Names(names.depot, names.courier, names.courier2, names.merchant + "-v")
        (untouched,) = await seed(central, victim_merchant, 1)
        await routed(central, names, tmp, [own])
        await routed(central, names, tmp, [victims_route], courier=names.courier2, db="d2.db")
        victim = hostile(central, "courier", depot_id=names.depot, courier_id=names.courier2)
        book = courier_book_id(names.courier2, DAY)
        entry = victim.stamp(
            names.courier2,
            _now(),
            "collected",
            shipment_id=victims_route,
            amount=700,
            currency="EUR",
            reason="recipient paid part",  # not the COD: a book entry then says why
        )
        answer = await victim.push(
            book, "cashbook", [entry], book_info(names.courier2, names.depot, DAY)
        )
        assert answer.accepted, answer
        attackers = {
            "courier": hostile(central, "courier", depot_id=names.depot, courier_id=names.courier),
            "merchant": hostile(central, "merchant", merchant_id=names.merchant),
            "depot": hostile(central, "depot", depot_id=names.depot + "-far"),
        }
        docs = {"own": own, "victims_route": victims_route, "untouched": untouched, "book": book}
        tracking = {k: tracking_number(central, v) for k, v in docs.items() if k != "book"}
        office = Hostile(central, "office-bootstrap", central.office_token)
        return World(
            names, attackers, docs, ("victims_route", "untouched", "book"), tracking, office
        )

    return anyio.run(build)


def _now() -> int:
    return time.time_ns() // 1_000_000


# ---- what a hostile push may say -------------------------------------------------

# Each role aims mostly at what it may write (so that forged contents, not the role
# check, decide), sometimes at its victims' documents.
SHIPMENT_MOVES = ["out_for_delivery", "attempt_failed", "delivered"]
CASH = ["collected", "handed_over"]
AIMS: dict[str, list[tuple[str, list[str]]]] = {
    "courier": [
        ("own", SHIPMENT_MOVES),
        ("book", CASH),
        ("future_book", CASH),
        ("victims_route", SHIPMENT_MOVES),
    ],
    "merchant": [
        ("own", ["cancelled", "created"]),
        ("untouched", ["cancelled"]),
        ("new", ["created"]),
    ],
    "depot": [("own", ["received_at_depot", "marked_lost"]), ("victims_route", ["marked_lost"])],
}
actors = st.sampled_from(["attacker", "attacker", "device", "device", "victim", "office", ""])
clocks = st.sampled_from(["now", "garbage", "garbage", "year_2286", "next_month", "hour_fast"])
infos = st.sampled_from(
    [
        *("none", "none", "steal_courier", "victims_tracking", "guessed_tracking"),
        *("book_owner", "book_depot"),
    ]
)


@st.composite
def pushes(draw: st.DrawFn) -> tuple[Any, ...]:
    role = draw(st.sampled_from(sorted(AIMS)))
    target, kinds = draw(st.sampled_from(AIMS[role]))
    kind = draw(st.sampled_from(kinds))
    return (
        role,
        target,
        draw(actors),
        draw(clocks),
        kind,
        draw(infos),
        draw(st.integers(1, 2**31)),
    )


push = pushes()


def _hlc(choice: str, stamp: dict[str, Any]) -> str:
    wall = {
        "now": _now(),
        "year_2286": 9_999_999_999_000,
        "next_month": _now() + 30 * 24 * HOUR_MS,
        "hour_fast": _now() + HOUR_MS,
        "past": 1_000_000_000_000,
    }.get(choice)
    if wall is None:
        return "zzzz"
    return f"{wall:013d}.000000.{stamp['device']}"


def _payload(kind: str, world: World) -> dict[str, Any]:
    n = world.names
    return {
        "out_for_delivery": {"courier_id": n.courier2},
        "attempt_failed": {"reason": "refused"},
        "delivered": {"recipient_name": "X", "relation": "self", "device_time_ms": 1},
        "received_at_depot": {"depot_id": n.depot},
        "collected": {
            "shipment_id": world.docs["victims_route"],
            "amount": 50_000,
            "currency": "EUR",
        },
        "handed_over": {"handover_id": "h", "depot_id": n.depot, "amount": 1, "currency": "EUR"},
    }.get(kind, {})


def _info(choice: str, world: World, target: str) -> dict[str, Any]:
    n = world.names
    if target in ("book", "future_book"):
        day = FUTURE if target == "future_book" else DAY
        return {
            "book_owner": book_info(n.courier2, n.depot, day, courier=n.courier),
            "book_depot": book_info(n.courier, n.depot + "-far", day),
        }.get(choice, book_info(n.courier, n.depot, day))
    base = {"merchant_id": n.merchant, "currency": "EUR", "depot_id": n.depot}
    return {
        "steal_courier": {"courier_id": n.courier2},
        "victims_tracking": base | {"tracking_number": world.tracking["victims_route"]},
        "guessed_tracking": base | {"tracking_number": make_tracking_number(12_345_678)},
    }.get(choice, {} if target != "new" else base | {"tracking_number": "PS000000000NL"})


async def _hostile_push(world: World, step: tuple[Any, ...]) -> None:
    role, target, actor, clock, kind, info, client_id = step
    attacker = world.attackers[role]
    doc_id = {
        "new": str(uuid.UUID(int=client_id, version=4)),
        "future_book": courier_book_id(world.names.courier2, FUTURE),
    }.get(target) or world.docs[target]
    doc_type = "cashbook" if "book" in target else "shipment"
    event = attacker.stamp("", _now(), kind, **_payload(kind, world))
    event["actor"] = {
        "attacker": world.names.courier,
        "victim": world.names.courier2,
        "device": attacker.device_id,
        "office": "office",
        "device/ann": f"{attacker.device_id}/ann",
    }.get(actor, "")
    event["hlc"] = _hlc(clock, event)
    state = await attacker.state(doc_id)
    answer = await attacker.push(
        doc_id, doc_type, [event], _info(info, world, target), state=state, client_id=client_id
    )
    assert answer.accepted or answer.code not in ("", "ok"), answer


async def _contents(world: World) -> dict[str, Any]:
    """The victims' documents as central holds them, and who holds each tracking
    number and the victim's future cash book id."""
    found: dict[str, Any] = {}
    for role in world.victims:
        state = await world.office.state(world.docs[role])
        assert state is not None
        content = LoadedDoc.of(state).content
        found[role] = (content.info, content.events)
    office = world.office
    headers = {"authorization": f"Bearer {office.token}"}
    async with httpx.AsyncClient(base_url=office.central.url, headers=headers) as api:
        for number in world.tracking.values():
            found[number] = (await api.get(f"/api/v1/shipments/by-tracking/{number}")).json()["id"]
    squatted = await world.office.state(courier_book_id(world.names.courier2, FUTURE))
    if squatted is not None:
        found["future_book"] = LoadedDoc.of(squatted).content.info.get("owner_id")
    return found


@settings(
    max_examples=30,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(steps=st.lists(push, min_size=1, max_size=4))
def test_hostile_pushes_refuse_or_harm_nobody(world: World, central: Central, steps: list[Any]):
    async def run() -> None:
        before = await _contents(world)
        for step in steps:
            await _hostile_push(world, step)
        after = await _contents(world)
        assert after.pop("future_book", world.names.courier2) == world.names.courier2
        assert after == before

    anyio.run(run)
    pages = office_pages(central, [world.docs["own"], world.docs["victims_route"]])
    assert set(pages.values()) == {200}, pages
    with httpx.Client(base_url=central.url, timeout=10) as client:
        for number in world.tracking.values():
            assert client.get(f"/track/{number}").status_code == 200


def test_the_world_is_a_real_one(world: World, central: Central, tmp_path: Path) -> None:
    """The victims' documents hold what the story says (so the property compares something)."""
    contents = anyio.run(_contents, world)
    assert contents["book"][0]["owner_id"] == world.names.courier2
    assert [e["type"] for e in contents["victims_route"][1]] == ["created"]
