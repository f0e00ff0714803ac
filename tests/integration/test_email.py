"""Email delivery through public doors: subscribe with POST /subscriptions, confirm with the
link mailed to the address, publish a notice, let the delivery worker send it to a real
``aiosmtpd`` server on 127.0.0.1, and read what arrives with the ``email`` package."""

from __future__ import annotations

import asyncio
import json
import re
import socket
from collections.abc import Iterator
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime, timedelta
from email import message_from_bytes, policy
from email.message import EmailMessage
from typing import Any

import pytest
from aiosmtpd.controller import Controller
from starlette.testclient import TestClient

from yaksok.bench.processes import free_port
from yaksok.channels import email
from yaksok.channels.outbound import Outgoing, Smtp, TransportOptions
from yaksok.config import Settings
from yaksok.domain.clock import SimulatedClock
from yaksok.domain.commands import AddMilestone, CreateLaunch, RevisePromise, WriteNotice
from yaksok.domain.delivery import Delivered, DeliveryStatus, RetryLater
from yaksok.domain.launch import MilestoneKind
from yaksok.domain.notice import NoticeKind
from yaksok.domain.promise import Precision
from yaksok.services import delivery, launches, subscriber_links
from yaksok.services.notices import create_notice
from yaksok.services.runtime import Runtime
from yaksok.web.app import create_app
from yaksok.workers.delivery import DeliveryWorker

BASE_URL = "https://yaksok.example"


@dataclass
class Sink:
    """An SMTP server's handler: records each message, or answers what it is told to first."""

    answers: list[str] = field(default_factory=list)  # e.g. "451 4.3.0 try later"; then 250
    received: list[EmailMessage] = field(default_factory=list)
    envelopes: list[list[str]] = field(default_factory=list)
    peers: list[Any] = field(default_factory=list)  # the connection each message came on

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        self.peers.append(session.peer)
        if self.answers:
            return self.answers.pop(0)
        parsed = message_from_bytes(envelope.content, policy=policy.default)
        assert isinstance(parsed, EmailMessage)
        self.received.append(parsed)
        self.envelopes.append(list(envelope.rcpt_tos))
        return "250 OK"


@dataclass
class Mail:
    sink: Sink
    settings: Settings


@pytest.fixture
def mail() -> Iterator[Mail]:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    sink = Sink()
    controller = Controller(sink, hostname="127.0.0.1", port=port)
    controller.start()
    settings = Settings(
        database_url="unused",
        run_scheduler=False,
        base_url=BASE_URL,
        smtp_host="127.0.0.1",
        smtp_port=port,
        smtp_timeout=5.0,
        email_from="notices@yaksok.example",
    )
    yield Mail(sink, settings)
    controller.stop()


@pytest.fixture
def public(rt: Runtime, mail: Mail) -> TestClient:
    return TestClient(create_app(rt, mail.settings))


def subscribe(public: TestClient, address: str, **fields: object) -> dict[str, object]:
    answer = public.post("/subscriptions", json={"channel": "email", "address": address, **fields})
    assert answer.status_code == 201, answer.text
    made: dict[str, object] = answer.json()
    return made


def publish(rt: Runtime) -> str:
    command = WriteNotice(
        kind=NoticeKind.ANNOUNCEMENT,
        titles={"en": "Pre-orders open", "ko": "예약 시작"},
        bodies={"en": "Reserve **now**.", "ko": "지금 **예약**하세요."},
        channels=("board", "email"),
        publish_now=True,
    )
    return create_notice(rt, command).id


def deliver(rt: Runtime, settings: Settings) -> int:
    async def run() -> int:
        worker = DeliveryWorker(rt, settings)
        try:
            return await worker.fan_out() + await worker.retry()
        finally:
            await worker.aclose()

    return asyncio.run(run())


def link(message: EmailMessage, pattern: str) -> str:
    text = message.get_body(("plain",))
    assert text is not None
    found = re.search(pattern, text.get_content())
    assert found, text.get_content()
    return found[0]


def confirm(public: TestClient, mail: Mail) -> None:
    confirmation = mail.sink.received.pop()
    answer = public.get(link(confirmation, BASE_URL + r"/subscriptions/confirm/\S+").removeprefix(BASE_URL))
    assert answer.status_code == 200, answer.text


def test_a_new_email_address_gets_only_a_confirmation_until_it_is_confirmed(
    rt: Runtime, public: TestClient, mail: Mail
) -> None:
    made = subscribe(public, "reader@example.com", language="ko")
    assert made["confirmed"] is False and made["address"] == "reader@example.com" and made["secret"] == ""

    [confirmation] = mail.sink.received
    assert confirmation["To"] == "reader@example.com"
    assert "확인" in str(confirmation["Subject"])
    publish(rt)
    assert deliver(rt, mail.settings) == 0
    assert mail.sink.received == [confirmation]


def test_a_confirmed_address_gets_the_notice_multipart_in_its_language_with_one_click_unsubscribe(
    rt: Runtime, public: TestClient, mail: Mail
) -> None:
    subscribe(public, "reader@example.com", language="ko")
    confirm(public, mail)
    notice_id = publish(rt)

    assert deliver(rt, mail.settings) == 1

    [message] = mail.sink.received
    assert mail.sink.envelopes[-1] == ["reader@example.com"]
    assert message["Subject"] == "예약 시작"
    assert message["From"] == "notices@yaksok.example"
    assert message["Message-ID"].startswith("<") and message["Message-ID"].endswith("@yaksok.example>")
    assert message["Date"].datetime == rt.clock.now().replace(microsecond=0)
    assert message["List-Id"] == "yaksok notices <notices.yaksok.example>"
    assert message["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    unsubscribe = re.fullmatch(
        r"<(https://yaksok\.example/unsubscribe/\S+)>", message["List-Unsubscribe"].strip()
    )
    assert unsubscribe, message["List-Unsubscribe"]
    assert message.is_multipart() and message.get_content_type() == "multipart/alternative"
    text, page = message.get_body(("plain",)), message.get_body(("html",))
    assert text is not None and page is not None
    assert "지금 **예약**하세요." in text.get_content() and unsubscribe[1] in text.get_content()
    assert "<strong>예약</strong>" in page.get_content() and unsubscribe[1] in page.get_content()
    assert f"{BASE_URL}/notices/{notice_id}" in text.get_content()


def test_one_click_unsubscribe_stops_further_mail(rt: Runtime, public: TestClient, mail: Mail) -> None:
    subscribe(public, "reader@example.com")
    confirm(public, mail)
    publish(rt)
    deliver(rt, mail.settings)
    [first] = mail.sink.received
    url = first["List-Unsubscribe"].strip().strip("<>").removeprefix(BASE_URL)

    assert "<form" in public.get(url).text
    answer = public.post(url, content=b"List-Unsubscribe=One-Click",
                         headers={"content-type": "application/x-www-form-urlencoded"})  # fmt: skip
    assert answer.status_code == 200, answer.text
    publish(rt)

    assert deliver(rt, mail.settings) == 0
    assert mail.sink.received == [first]


def test_a_forged_or_expired_link_is_refused(clock: SimulatedClock, public: TestClient, mail: Mail) -> None:
    subscribe(public, "reader@example.com")
    confirmation = mail.sink.received.pop()
    path = link(confirmation, BASE_URL + r"/subscriptions/confirm/\S+").removeprefix(BASE_URL)

    forged = public.get(path[:-2] + ("AA" if not path.endswith("AA") else "BB"))
    assert forged.status_code == 422 and forged.json()["code"] == "subscription.token_invalid"
    assert public.post("/unsubscribe/s_0001.nope").json()["code"] == "subscription.token_invalid"
    clock.advance(timedelta(hours=73))
    expired = public.get(path)
    assert expired.json()["code"] == "subscription.token_invalid"


def test_an_address_that_is_not_one_is_refused(public: TestClient, mail: Mail) -> None:
    answer = public.post("/subscriptions", json={"channel": "email", "address": "not an address"})

    assert answer.status_code == 422 and answer.json()["code"] == "subscription.address_invalid"
    assert mail.sink.received == []


def test_a_4xx_smtp_answer_is_retried_and_a_5xx_given_up(
    rt: Runtime, clock: SimulatedClock, public: TestClient, mail: Mail
) -> None:
    made = [subscribe(public, "one@example.com"), subscribe(public, "two@example.com")]
    for _ in made:
        confirm(public, mail)
    notice_id = publish(rt)
    mail.sink.answers = ["451 4.3.0 try again later", "550 5.1.1 no such mailbox"]

    assert deliver(rt, mail.settings) == 2

    tried = [d for m in made for d in delivery.deliveries_of(rt, str(m["id"]))]
    outcomes = {d.last_error[:8]: d.status for d in tried}
    assert outcomes == {"SMTP 451": DeliveryStatus.PENDING, "SMTP 550": DeliveryStatus.FAILED}
    clock.advance(timedelta(minutes=1))
    assert deliver(rt, mail.settings) == 1
    [retried] = mail.sink.received
    assert notice_id in retried.get_body(("plain",)).get_content()  # type: ignore[union-attr]
    assert delivery.figures(rt, notice_id).delivered == 1


def test_an_address_unsubscribed_before_confirming_cannot_be_confirmed_later(
    rt: Runtime, public: TestClient, mail: Mail
) -> None:
    made = subscribe(public, "reader@example.com")
    confirmation = mail.sink.received[0]
    with rt.store.write() as tx:
        token = subscriber_links.unsubscribe_token(subscriber_links.link_key(tx, rt), str(made["id"]))
    assert public.post(f"/unsubscribe/{token}").status_code == 200

    confirm(public, mail)
    publish(rt)

    assert deliver(rt, mail.settings) == 0
    assert mail.sink.received == [] and confirmation["To"] == "reader@example.com"


def test_a_korean_email_shows_every_time_in_korean_words_with_utc_beside(
    rt: Runtime, public: TestClient, mail: Mail
) -> None:
    launches.create_launch(
        rt, CreateLaunch(slug="ipad", titles={"ko": "아이패드", "en": "iPad"}, zone="Asia/Seoul")
    )
    launches.add_milestone(
        rt,
        AddMilestone(
            launch_slug="ipad",
            key="opens",
            kind=MilestoneKind.PREORDER_OPENS,
            titles={"ko": "예약", "en": "Opens"},
        ),
    )
    launches.revise_promise(
        rt, RevisePromise("ipad.opens", time="2010-11-09T20:00", precision=Precision.EXACT)
    )
    subscribe(public, "reader@example.com", language="ko")
    confirm(public, mail)
    mail.sink.received.clear()
    command = WriteNotice(
        kind=NoticeKind.ANNOUNCEMENT,
        titles={"en": "When", "ko": "일정"},
        bodies={"en": "Opens {{milestone:ipad.opens}}.", "ko": "시작: {{milestone:ipad.opens}}."},
        launch_slug="ipad",
        milestone_ids=("ipad.opens",),
        channels=("board", "email"),
        next_update_at=datetime(2010, 10, 28, 3, 0, tzinfo=UTC),
        publish_now=True,
    )
    create_notice(rt, command)

    assert deliver(rt, mail.settings) >= 1

    [message] = [m for m in mail.sink.received if m["Subject"] == "일정"]
    text, page = message.get_body(("plain",)), message.get_body(("html",))
    assert text is not None and page is not None
    assert "시작: 2010년 11월 9일 (화) 오후 8:00 KST (11:00 UTC)." in text.get_content()
    assert "2010년 11월 9일 (화) 오후 8:00 KST (11:00 UTC)" in page.get_content()
    assert "다음 업데이트: 2010년 10월 28일 (목) 오전 3:00 UTC" in text.get_content()
    assert "2010-11-09" not in text.get_content()


def test_a_failing_webhooks_owner_reads_the_times_in_their_language_in_utc() -> None:
    since, until = datetime(2010, 11, 9, 11, 0, tzinfo=UTC), datetime(2010, 11, 10, 11, 0, tzinfo=UTC)

    korean = json.loads(email.endpoint_alert_body("ko", "warned", "https://hook.example/", since, until))
    english = json.loads(email.endpoint_alert_body("en", "warned", "https://hook.example/", since, until))

    assert "2010년 11월 9일 (화) 오전 11:00 UTC 부터" in korean["text"]
    assert "2010년 11월 10일 (수) 오전 11:00 UTC 까지" in korean["text"]
    assert (
        "failing since 2010-11-09 11:00 UTC. Unless it answers 2xx by 2010-11-10 11:00 UTC" in english["text"]
    )


def _mails(count: int) -> list[Outgoing]:
    body = json.dumps({"language": "en", "subject": "Hello", "text": "Hi.", "html": "<p>Hi.</p>"}).encode()
    return [Outgoing(f"msg_n_1.s_{i}", f"r{i}@example.com", f"s_{i}.t", body) for i in range(count)]


def _transport(mail: Mail, sessions: int) -> email.EmailTransport:
    smtp = Smtp(host="127.0.0.1", port=mail.settings.smtp_port, sender="notices@yaksok.example", timeout=5.0)
    return email.EmailTransport(TransportOptions(smtp=replace(smtp, sessions=sessions), base_url=BASE_URL))


def test_a_batch_of_emails_goes_over_a_few_smtp_sessions_and_a_refusal_leaves_its_session_open(
    mail: Mail,
) -> None:
    mail.sink.answers = ["550 5.1.1 no such mailbox"]
    outcomes = asyncio.run(_transport(mail, sessions=2).deliver_many(_mails(12)))

    assert sorted(type(o).__name__ for o in outcomes) == ["Delivered"] * 11 + ["GiveUp"]
    assert len(mail.sink.received) == 11 and len(set(mail.sink.peers)) <= 2  # not one connection each
    assert len({str(m["To"]) for m in mail.sink.received}) == 11


def test_an_smtp_session_the_server_closed_is_opened_again_for_the_next_message(mail: Mail) -> None:
    transport = _transport(mail, sessions=1)
    first, second = _mails(2)
    outcome, session = transport._send_on(None, transport.message(first))
    assert isinstance(outcome, Delivered) and session is not None
    assert session.sock is not None
    session.sock.shutdown(socket.SHUT_RDWR)  # as when a server closes an idle session

    outcome, again = transport._send_on(session, transport.message(second))

    assert isinstance(outcome, Delivered) and again is not None and again is not session
    again.quit()
    assert [str(m["To"]) for m in mail.sink.received] == ["r0@example.com", "r1@example.com"]


def test_no_smtp_server_leaves_every_email_to_a_retry(mail: Mail) -> None:
    transport = _transport(mail, sessions=3)
    transport.options = replace(transport.options, smtp=replace(transport.options.smtp, port=free_port()))
    outcomes = asyncio.run(transport.deliver_many(_mails(5)))
    assert [type(o) for o in outcomes] == [RetryLater] * 5


def test_a_japanese_subscriber_reads_japanese_and_each_launch_falls_back_to_its_primary_language(
    rt: Runtime, public: TestClient, mail: Mail
) -> None:
    launches.create_launch(
        rt,
        CreateLaunch(
            slug="ipad-jp",
            titles={"ja": "アイパッド", "en": "iPad"},
            zone="Asia/Tokyo",
            languages=("ja", "en"),
        ),
    )
    launches.create_launch(rt, CreateLaunch(slug="ipad-kr", titles={"ko": "아이패드"}, zone="Asia/Seoul"))
    subscribe(public, "yomu@example.jp", language="ja")
    [confirmation] = mail.sink.received
    assert "確認" in str(confirmation["Subject"])
    confirm(public, mail)
    subscribe(public, "ilgeum@example.kr", language="ko")
    confirm(public, mail)
    for slug, titles in [
        ("ipad-jp", {"ja": "予約受付開始", "en": "Pre-orders open"}),
        ("ipad-kr", {"ko": "예약 시작"}),
    ]:
        notice = WriteNotice(
            kind=NoticeKind.ANNOUNCEMENT,
            titles=titles,
            launch_slug=slug,
            channels=("email",),
            publish_now=True,
        )
        create_notice(rt, notice)

    assert deliver(rt, mail.settings) == 4

    read = {(m["To"], str(m["Subject"])) for m in mail.sink.received}
    assert read == {
        ("yomu@example.jp", "予約受付開始"),  # the subscriber's language
        ("yomu@example.jp", "예약 시작"),  # ipad-kr publishes in Korean (primary) and English only
        ("ilgeum@example.kr", "予約受付開始"),  # ipad-jp's primary, Japanese
        ("ilgeum@example.kr", "예약 시작"),
    }
    japanese = next(
        m for m in mail.sink.received if m["Subject"] == "予約受付開始" and m["To"] == "yomu@example.jp"
    )
    text = japanese.get_body(("plain",))
    assert text is not None and "購読の解除" in text.get_content()
