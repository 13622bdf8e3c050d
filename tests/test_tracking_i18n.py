# ruff: noqa: RUF001 - the Cyrillic letters are the point
"""The tracking page in English, Russian, Bulgarian and Romanian, times in the depot's zone."""

from __future__ import annotations

import datetime as dt
import html
from collections.abc import Iterator
from typing import TYPE_CHECKING
from zoneinfo import ZoneInfo

import httpx
import pytest

from protocol.hlc import Timestamp
from protocol.ids import make_tracking_number
from server.office.web.languages import negotiate
from server.zones import DepotZones

if TYPE_CHECKING:
    from .server_fixtures import Central

pytest_plugins = ["tests.server_fixtures"]
SOFIA = "D-sofia"


@pytest.fixture(scope="module")
def zoned(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Central]:
    from .server_fixtures import start_central, stop_central  # a plugin: import late

    path = tmp_path_factory.mktemp("zones") / "central.db"
    server = start_central(path, time_zone="Europe/Amsterdam", depot_zones=f"{SOFIA}=Europe/Sofia")
    yield server
    stop_central(server)


def test_accept_language_picks_the_preferred_supported_language():
    assert negotiate("ru-RU,ru;q=0.9,en;q=0.8") == "ru"
    assert negotiate("bg") == "bg"
    assert negotiate("de-DE,ro;q=0.5,ru;q=0.4") == "ro"
    assert negotiate("en;q=0.2, bg;q=0.7") == "bg"
    assert negotiate("ro;q=high, ru;q=0.1") == "ru"  # a malformed entry is skipped
    assert negotiate("fr-FR, ro;q=0") == "en"  # q=0 means "not this one"
    assert negotiate("") == "en"


def test_depot_zones_refuse_unknown_zones():
    zones = DepotZones.parse("Europe/Bucharest", "D1=Europe/Sofia, D2=Europe/Moscow")
    assert zones.of("D1").key == "Europe/Sofia" and zones.of("D9").key == "Europe/Bucharest"
    with pytest.raises(ValueError, match="depot_zones D1"):
        DepotZones.parse("UTC", "D1=Mars/Olympus")
    with pytest.raises(ValueError, match="is not DEPOT=ZONE"):
        DepotZones.parse("UTC", "Europe/Sofia")


def create(central: Central, ref: str, depot: str, start: str, end: str) -> dict[str, object]:
    body = {
        "order_ref": ref,
        "currency": "EUR",
        "merchant_id": "M-i18n",
        "depot_id": depot,
        "city": "София",
        "slot_start": start,
        "slot_end": end,
    }
    with central.api() as api:
        answer = api.post("/api/v1/shipments", json=body)
    assert answer.status_code == 201, answer.text
    return answer.json()


def page(central: Central, number: object, language: str) -> httpx.Response:
    answer = httpx.get(f"{central.url}/track/{number}", headers={"accept-language": language})
    assert answer.headers["vary"] == "Accept-Language"
    return answer


@pytest.mark.parametrize(
    ("language", "lang", "words"),
    [
        (
            "en-GB,en;q=0.9",
            "en",
            (
                "Parcel ",
                "Friday 14 March, between 10:00 and 12:00",
                "The sender has announced your parcel",
                "Europe/Sofia",
            ),
        ),
        (
            "ru-RU,ru;q=0.9",
            "ru",
            (
                "Посылка ",
                "пятница 14 марта, с 10:00 до 12:00",
                "Отправитель зарегистрировал вашу посылку",
                "Время доставки",
            ),
        ),
        (
            "bg-BG",
            "bg",
            (
                "Пратка ",
                "петък 14 март, между 10:00 и 12:00",
                "Подателят обяви вашата пратка",
                "Час за доставка",
            ),
        ),
        (
            "ro-RO,ro",
            "ro",
            (
                "Colet ",
                "vineri 14 martie, între 10:00 și 12:00",
                "Expeditorul a anunțat coletul",
                "Interval de livrare",
            ),
        ),
    ],
)
def test_tracking_page_speaks_the_browsers_language(
    zoned: Central, language: str, lang: str, words: tuple[str, ...]
):
    shipment = create(zoned, f"T-{lang}", SOFIA, "2031-03-14T10:00", "2031-03-14T12:00")
    answer = page(zoned, shipment["tracking_number"], language)
    assert answer.status_code == 200 and answer.headers["content-language"] == lang
    text = html.unescape(answer.text)
    assert f'<html lang="{lang}">' in text
    for expected in words:
        assert expected in text, expected
    # the history time: the created event's HLC on the depot's wall clock
    with zoned.api() as api:
        (created,) = api.get(f"/api/v1/shipments/{shipment['id']}").json()["events"]
    ms = Timestamp.decode(created["hlc"]).wall_ms
    local = dt.datetime.fromtimestamp(ms / 1000, ZoneInfo("Europe/Sofia"))
    assert f", {local:%H:%M}</time>" in text


def test_slot_with_an_offset_is_shown_on_the_depots_clock(zoned: Central):
    # 08:00 UTC is 10:00 in Sofia in March (EET, before summer time)
    shipment = create(zoned, "T-utc", SOFIA, "2031-03-14T08:00+00:00", "")
    text = html.unescape(page(zoned, shipment["tracking_number"], "bg").text)
    assert "Час за доставка: петък 14 март, след 10:00" in text
    other = create(zoned, "T-ams", "D-elsewhere", "2031-03-14T08:00Z", "2031-03-14T09:00Z")
    text = html.unescape(page(zoned, other["tracking_number"], "en").text)
    assert "Friday 14 March, between 09:00 and 10:00" in text  # Amsterdam: UTC+1
    assert "Times are in Europe/Amsterdam time." in text


def test_not_found_page_in_the_browsers_language(zoned: Central):
    number = make_tracking_number(99_999_999)
    answer = page(zoned, number, "ru")
    assert answer.status_code == 404
    text = html.unescape(answer.text)
    assert "Посылка не найдена" in text and f"У нас нет посылки с номером {number}." in text
