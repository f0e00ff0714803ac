"""Personal messages through the delivery worker: a ship date put in the outbox goes out at its
announced hour to the reservation's contact, in the customer's language, through a real
``aiosmtpd`` on 127.0.0.1 (the ``mail`` fixture of test_email.py); a refusal is retried on the
notices' schedule with the same Message-ID."""

from __future__ import annotations

from datetime import timedelta

from delivery_runs import send_personal
from test_email import BASE_URL, Mail
from test_email import mail as mail  # the fixture, by its name

from yaksok.domain.clock import SimulatedClock
from yaksok.domain.commands import CreateLaunch
from yaksok.domain.delivery import DeliveryStatus
from yaksok.domain.personal_message import MessageKind, PersonalMessage, ShipDate, ship_date_message_id
from yaksok.services import launches, personal_messages
from yaksok.services.runtime import Runtime


def told(rt: Runtime, *, language: str, hours_from_now: float = 0, previous: str | None = None) -> str:
    launches.create_launch(
        rt, CreateLaunch(slug="ipad", titles={"en": "iPad", "ko": "아이패드"}, zone="Asia/Seoul")
    )
    due = rt.clock.now() + timedelta(hours=hours_from_now)
    ship = ShipDate(48213, "r0000000000bc55", "2010-11-30", previous, None, "batch_added", 1)
    message = PersonalMessage(
        id=ship_date_message_id("ipad", 48213, "2010-11-30", due),
        launch_slug="ipad",
        kind=MessageKind.SHIP_DATE,
        contact="buyer@example.com",
        language=language,
        about=ship,
        due_at=due,
    )
    with rt.store.write() as tx:
        assert personal_messages.tell(tx, [message]) == 1
    return message.id


def test_a_ship_date_goes_to_the_customer_in_their_language_with_the_lookup_link(
    rt: Runtime, mail: Mail
) -> None:
    told(rt, language="ko")

    assert send_personal(rt, mail.settings) == 1

    [message] = mail.sink.received
    assert mail.sink.envelopes == [["buyer@example.com"]]
    assert message["Subject"] == "아이패드: 예약 #48,213은(는) 2010년 11월 30일 (화)에 출고됩니다."
    text = message.get_body(("plain",))
    assert text is not None
    assert "사유: 1차 물량이 새로 등록되었습니다." in text.get_content()
    assert f"{BASE_URL}/reservations/r0000000000bc55" in text.get_content()
    assert "List-Unsubscribe" not in message  # about the customer's own order, not a subscription
    [figures] = personal_messages.told(rt, "ipad")[0].values()
    assert (figures.delivered, figures.pending, figures.failed) == (1, 0, 0)
    assert send_personal(rt, mail.settings) == 0  # sent once


def test_a_moved_date_says_what_it_was_in_english(rt: Runtime, mail: Mail) -> None:
    told(rt, language="en", previous="2010-12-03")

    send_personal(rt, mail.settings)

    [message] = mail.sink.received
    assert message["Subject"] == (
        "iPad: Your reservation #48,213 ships on 30 November 2010 (Tue) (it was 3 December 2010 (Fri))."
    )


def test_nothing_goes_out_before_its_announced_hour(rt: Runtime, clock: SimulatedClock, mail: Mail) -> None:
    told(rt, language="en", hours_from_now=2)

    assert send_personal(rt, mail.settings) == 0
    clock.advance(timedelta(hours=2))
    assert send_personal(rt, mail.settings) == 1 and len(mail.sink.received) == 1


def test_a_refused_message_is_retried_on_schedule_with_the_same_message_id(
    rt: Runtime, clock: SimulatedClock, mail: Mail
) -> None:
    message_id = told(rt, language="en")
    mail.sink.answers.append("451 4.3.0 try again later")

    assert send_personal(rt, mail.settings) == 1 and mail.sink.received == []
    [pending] = personal_messages.told(rt, "ipad")[1]
    assert pending.status is DeliveryStatus.PENDING and pending.attempts == 1 and "451" in pending.last_error
    assert send_personal(rt, mail.settings) == 0  # not before its retry is due
    clock.advance(timedelta(seconds=20))

    assert send_personal(rt, mail.settings) == 1

    [message] = mail.sink.received
    assert message["Message-ID"] == f"<{message_id}@yaksok.example>"
    [delivered] = personal_messages.told(rt, "ipad")[1]
    assert delivered.status is DeliveryStatus.DELIVERED and delivered.attempts == 2
