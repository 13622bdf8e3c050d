"""What recipients are told (protocol.notify) and the retry schedule (server.retry)."""

from __future__ import annotations

from protocol.events import AttemptFailed, Delivered, OutForDelivery, ProofOfDelivery
from protocol.info import ShipmentInfo
from protocol.notify import notices, slot_words
from protocol.vocab import FailureReason
from server.retry import RetryPolicy

INFO = ShipmentInfo(
    merchant_id="M", tracking_number="PS000000012NL", currency="EUR", slot_end="2031-03-10T12:00"
)
COMMON = {"device": "hh", "actor": "C1"}


def out(n: int) -> OutForDelivery:
    hlc = f"{1_900_000_000_000 + n:013d}.0000.hh"
    return OutForDelivery(id=f"e{n}", hlc=hlc, payload=OutForDelivery.Body("C1"), **COMMON)


def failed(n: int, reason: FailureReason) -> AttemptFailed:
    hlc = f"{1_900_000_000_000 + n:013d}.0000.hh"
    return AttemptFailed(id=f"e{n}", hlc=hlc, payload=AttemptFailed.Body(reason), **COMMON)


def test_slot_in_words():
    assert slot_words("10:00", "12:00") == "between 10:00 and 12:00"
    assert slot_words("2031-03-10T09:30", "") == "from 09:30"
    assert slot_words("", "18:00:00") == "by 18:00"
    assert slot_words("", "") == ""


def test_out_for_delivery_is_told_only_while_it_is_the_latest():
    (told,) = notices(INFO, [out(1)])
    assert told.kind == "out_for_delivery"
    assert told.text == (
        "Your parcel PS000000012NL is out for delivery and arrives today by 12:00. "
        "Tracking number PS000000012NL."
    )
    pod = ProofOfDelivery(recipient_name="R", relation="self", device_time_ms=1)
    delivered = Delivered(id="e2", hlc=f"{1_900_000_000_002:013d}.0000.hh", payload=pod, **COMMON)
    assert [n.kind for n in notices(INFO, [delivered, out(1)])] == ["delivered"]


def test_a_failure_says_what_happens_next():
    url = "https://p.example/track/PS000000012NL"
    again, held, back = (
        notices(INFO, [failed(1, r)], url)[0].text
        for r in (FailureReason.NOT_HOME, FailureReason.ADDRESS_INCOMPLETE, FailureReason.REFUSED)
    )
    assert again.endswith(
        "try again on the next working day. To choose another date: ask the sender, "
        f"quoting PS000000012NL. Follow it at {url}"
    )
    assert "waits at the depot while the sender decides" in held
    assert back.endswith(f"Your parcel goes back to the sender. Follow it at {url}")  # no date
    offline = notices(INFO, [failed(1, FailureReason.NOT_HOME)])[0].text
    assert offline.endswith("To choose another date: ask the sender, quoting PS000000012NL.")


def test_the_last_allowed_attempt_says_the_parcel_goes_back():
    third = notices(INFO, [failed(n, FailureReason.NOT_HOME) for n in (1, 2, 3)])
    assert [n.text.split(". ", 1)[1] for n in third] == [
        "We will try again on the next working day. To choose another date: "
        "ask the sender, quoting PS000000012NL.",
    ] * 2 + ["Your parcel goes back to the sender."]


def test_retry_schedule_doubles_and_gives_up():
    policy = RetryPolicy(backoff=2.0, max_backoff=5.0, max_attempts=3)
    rows = [(1, 0), (2, 0), (3, 1), (4, 2)]  # (row id, attempts so far)
    done, retry, dead = policy.plan(rows, ["", "HTTP 500", "HTTP 500", "HTTP 500"], 1000)
    assert done == [(1000, 1, 1)]
    # the first failure waits 2 s, the second 4 s; the third attempt was the last
    assert retry == [(3000, 1, "HTTP 500", 2), (5000, 2, "HTTP 500", 3)]
    assert dead == [(1000, 3, "HTTP 500", 4)]
    capped = RetryPolicy(2.0, 5.0, 9).plan([(5, 4)], ["x"], 0)[1]
    assert capped == [(5000, 5, "x", 5)]  # 2 * 2**4 = 32 s, capped at 5 s
