"""Ship dates told at the shipping cadence hour, on SQLite and PostgreSQL: an allocation run at
any hour changes nothing customers see until the launch's 10:00 slot, which publishes who ships
when and emails each customer whose date was set or moved, in their language, through the
delivery worker and a real ``aiosmtpd`` on 127.0.0.1 (the ``mail`` fixture of test_email.py)."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, date, datetime

import pytest
from delivery_runs import send_personal
from preorder_launch import ipad_opening_at_20
from starlette.testclient import TestClient
from test_email import Mail
from test_email import mail as mail  # the fixture, by its name

from yaksok.domain.clock import SimulatedClock
from yaksok.domain.commands import (
    CancelReservation,
    CreateCadence,
    RecordBatch,
    Reserve,
)
from yaksok.domain.launch import Sku
from yaksok.domain.notice import Notice
from yaksok.services import allocation, cadences, personal_messages, reservations
from yaksok.services.runtime import Runtime

NOV30, DEC3 = date(2010, 11, 30), date(2010, 12, 3)
SLOT_29 = datetime(2010, 11, 29, 1, 0, tzinfo=UTC)  # Monday 10:00 KST
SLOT_30 = datetime(2010, 11, 30, 1, 0, tzinfo=UTC)
Headers = dict[str, str]


@pytest.fixture
def launch(rt: Runtime, clock: SimulatedClock) -> Runtime:
    """Six customers reserved one iPad each (#6 by phone number); a weekday 10:00 shipping cadence."""
    clock.advance_to(datetime(2010, 11, 1, tzinfo=UTC))
    skus = (Sku(code="wifi", titles={"en": "iPad Wi-Fi", "ko": "아이패드 Wi-Fi"}),)
    ipad_opening_at_20(rt, skus=skus, titles={"en": "iPad", "ko": "아이패드"})
    shipping = {"en": "iPad shipping update", "ko": "아이패드 배송 안내"}
    cadences.create_cadence(
        rt, CreateCadence(launch_slug="ipad", weekdays="weekdays", at="10:00", titles=shipping)
    )
    clock.advance_to(datetime(2010, 11, 9, 11, 0, tzinfo=UTC))
    contacts = [f"buyer{n}@example.kr" for n in range(1, 6)] + ["010-1234-5678"]
    made = reservations.reserve_batch(
        rt,
        [
            Reserve(
                launch_slug="ipad",
                idempotency_key=f"k{n}",
                sku="wifi",
                quantity=1,
                contact=contact,
                language="en" if n == 2 else "ko",
            )
            for n, contact in enumerate(contacts, start=1)
        ],
    )
    assert all(isinstance(m, reservations.Accepted) for m in made)
    return rt


def stock(rt: Runtime, units: int, on: date) -> None:
    allocation.record_batch(rt, RecordBatch(launch_slug="ipad", sku="wifi", units=units, date=on))


def slot(rt: Runtime, clock: SimulatedClock, at: datetime) -> Notice:
    clock.advance_to(at)
    return cadences.run_cadences(rt)[-1]  # the slots since the cadence began are filled too


def subjects(mail: Mail) -> dict[str, str]:
    return {str(m["To"]): str(m["Subject"]) for m in mail.sink.received}


def test_a_run_at_any_hour_is_told_at_the_next_slot_to_each_customer_and_in_public(
    launch: Runtime, clock: SimulatedClock, mail: Mail
) -> None:
    clock.advance_to(datetime(2010, 11, 28, 14, 37, tzinfo=UTC))  # a Sunday night
    stock(launch, 3, NOV30)
    stock(launch, 2, DEC3)
    allocation.run_allocation(launch, "ipad")

    assert send_personal(launch, mail.settings) == 0  # nobody is told at a random hour

    notice = slot(launch, clock, SLOT_29)
    assert send_personal(launch, mail.settings) == 5

    told = subjects(mail)
    assert told["buyer1@example.kr"] == "아이패드: 예약 #1은(는) 2010년 11월 30일 (화)에 출고됩니다."
    assert told["buyer2@example.kr"] == "iPad: Your reservation #2 ships on 30 November 2010 (Tue)."
    assert told["buyer4@example.kr"] == "아이패드: 예약 #4은(는) 2010년 12월 3일 (금)에 출고됩니다."
    assert "buyer5@example.kr" in told and len(told) == 5  # #6 gave a phone number: not emailed
    assert (
        "#1–#3: 30 November 2010 (Tue); #4–#5: 3 December 2010 (Fri); from #6: not yet scheduled"
        in (notice.bodies["en"])
    )
    assert "5 customers whose date was set or moved were emailed" in notice.bodies["en"]
    assert "#1–#3: 2010년 11월 30일 (화)" in notice.bodies["ko"]
    [figures] = personal_messages.told(launch, "ipad")[0].values()
    assert figures.delivered == 5 and figures.latency_p50_seconds == 0


def test_a_slot_with_no_new_dates_tells_nobody_and_says_no_change_with_the_summary(
    launch: Runtime, clock: SimulatedClock, mail: Mail
) -> None:
    stock(launch, 3, NOV30)
    allocation.run_allocation(launch, "ipad")
    slot(launch, clock, SLOT_29)
    send_personal(launch, mail.settings)
    mail.sink.received.clear()
    allocation.run_allocation(launch, "ipad")  # the same stock again: no date moves

    notice = slot(launch, clock, SLOT_30)

    assert send_personal(launch, mail.settings) == 0
    assert notice.bodies["en"].startswith("No change since")
    assert "#1–#3: 30 November 2010 (Tue); from #4: not yet scheduled" in notice.bodies["en"]


def test_a_cancellation_ahead_moves_the_next_in_line_who_is_told_why_at_the_next_slot(
    launch: Runtime, clock: SimulatedClock, mail: Mail
) -> None:
    stock(launch, 3, NOV30)
    stock(launch, 2, DEC3)
    allocation.run_allocation(launch, "ipad")
    slot(launch, clock, SLOT_29)
    send_personal(launch, mail.settings)
    mail.sink.received.clear()
    clock.advance_to(datetime(2010, 11, 29, 6, 0, tzinfo=UTC))
    first = reservations.reserve_batch(
        launch,
        [
            Reserve(
                launch_slug="ipad", idempotency_key="k1", sku="wifi", quantity=1, contact="buyer1@example.kr"
            )
        ],
    )[0]
    assert isinstance(first, reservations.Accepted)
    reservations.cancel(launch, CancelReservation(code=first.reservation.code, secret=first.secret))
    allocation.run_allocation(launch, "ipad")

    slot(launch, clock, SLOT_30)
    assert send_personal(launch, mail.settings) == 1

    [moved] = mail.sink.received
    assert moved["To"] == "buyer4@example.kr"  # #1 cancelled (and knows it); #4 moves up to 30 November
    assert (
        moved["Subject"]
        == "아이패드: 예약 #4은(는) 2010년 11월 30일 (화)에 출고됩니다 (이전 안내: 2010년 12월 3일 (금))."
    )
    text = moved.get_body(("plain",))
    assert text is not None and "앞 순서의 예약이 취소되어 물량이 생겼습니다." in text.get_content()


def test_support_sees_what_was_told_to_whom_and_a_viewer_does_not(
    launch: Runtime, clock: SimulatedClock, mail: Mail, client: TestClient, bearer: Callable[[str], Headers]
) -> None:
    stock(launch, 3, NOV30)
    allocation.run_allocation(launch, "ipad")
    slot(launch, clock, SLOT_29)
    send_personal(launch, mail.settings)

    answer = client.get("/api/v1/launches/ipad/personal-messages", headers=bearer("support"))

    assert answer.status_code == 200, answer.text
    told = answer.json()
    assert told["kinds"]["ship_date"]["delivered"] == 3
    first = next(m for m in told["latest"] if m["sequence"] == 1)
    assert (first["date"], first["previous"], first["reason"]) == ("2010-11-30", None, "first_scheduled")
    assert first["contact"] == "buyer1@example.kr" and first["status"] == "delivered"
    viewer = bearer("viewer")
    assert client.get("/api/v1/launches/ipad/personal-messages", headers=viewer).status_code == 403
    unknown = client.get("/api/v1/launches/nope/personal-messages", headers=bearer("support"))
    assert unknown.status_code == 404
