"""Subscribing from the pages without script, and managing what one gets from the link in every
email: HTTP form posts through the app, confirmation and notices mailed to a real ``aiosmtpd``
on 127.0.0.1 (the ``mail`` fixture of test_email.py)."""

from __future__ import annotations

import re
from dataclasses import replace
from html import unescape

import pytest
from starlette.testclient import TestClient
from test_email import BASE_URL, Mail, confirm, deliver, link, publish
from test_email import mail as mail

from yaksok.domain.clock import SimulatedClock
from yaksok.domain.commands import CreateLaunch
from yaksok.domain.notice import NoticeKind
from yaksok.services import launches, subscribers
from yaksok.services.runtime import Runtime
from yaksok.services.subscriber_links import FORM_TOKEN_LIFETIME
from yaksok.web.app import create_app

SLUG = "ipad-kt-2010"
REFUSED = "subscription.target_refused"
EMAIL = [("channel", "email"), ("address", "r%40example.com"), ("language", "en")]
FORM = {"Content-Type": "application/x-www-form-urlencoded"}


@pytest.fixture
def site(rt: Runtime, mail: Mail) -> TestClient:
    launches.create_launch(
        rt, CreateLaunch(slug=SLUG, titles={"ko": "아이패드", "en": "iPad"}, zone="Asia/Seoul")
    )
    settings = replace(mail.settings, webhook_allow_hosts=("127.0.0.1",))
    return TestClient(create_app(rt, settings), base_url=BASE_URL)


def form_token(page: str) -> str:
    found = re.search(r'name="token" value="([^"]+)"', page)
    assert found, page
    return found[1]


def post(site: TestClient, path: str, fields: list[tuple[str, str]], **headers: str) -> tuple[int, str]:
    body = "&".join(f"{name}={value}" for name, value in fields)
    answer = site.post(path, content=body.encode(), headers={**FORM, **headers})
    return answer.status_code, unescape(answer.text)


def test_the_board_and_each_launch_page_carry_a_subscribe_form_that_works_without_script(
    site: TestClient,
) -> None:
    board = site.get("/?lang=en").text
    launch = site.get(f"/launches/{SLUG}?lang=ko").text

    for page in (board, launch):
        assert '<form method="post" action="/subscribe"' in page
        assert 'name="channel" value="email"' in page and 'name="channel" value="webhook"' in page
        assert all(f'name="kind" value="{k.value}"' in page for k in NoticeKind)
        assert '<option value="ko"' in page and '<option value="en"' in page
    assert f'name="launch" value="{SLUG}">' in board  # offered, not ticked
    assert f'name="launch" value="{SLUG}" checked>' in launch  # a launch page ticks its own
    assert board.count('action="/subscribe"') == launch.count('action="/subscribe"') == 1
    assert "공지 받기" in launch and "Get notices" in board


def test_an_email_subscribed_by_form_gets_its_confirmation_and_a_page_in_the_language_chosen(
    rt: Runtime, site: TestClient, mail: Mail
) -> None:
    token = form_token(site.get("/?lang=en").text)

    status, page = post(
        site,
        "/subscribe",
        [("token", token), ("channel", "email"), ("address", "reader%40example.com"), ("url", ""),
         ("launch", SLUG), ("kind", "change"), ("kind", "apology"), ("language", "ko")],
    )  # fmt: skip

    assert status == 201, page
    assert '<html lang="ko">' in page and "reader@example.com 로 링크를 보냈습니다" in page
    [confirmation] = mail.sink.received
    assert confirmation["To"] == "reader@example.com" and "확인" in str(confirmation["Subject"])
    [made] = subscribers.listing(rt).subscriptions
    assert (made.channel, made.state, made.language) == ("email", "unconfirmed", "ko")
    assert (made.launches, made.kinds) == ((SLUG,), (NoticeKind.CHANGE, NoticeKind.APOLOGY))
    confirm(site, mail)
    assert subscribers.listing(rt).subscriptions[0].state == "active"


def test_a_webhook_subscribed_by_form_is_shown_its_secret_once(rt: Runtime, site: TestClient) -> None:
    token = form_token(site.get(f"/launches/{SLUG}").text)

    status, page = post(
        site,
        "/subscribe",
        [("token", token), ("channel", "webhook"), ("url", "http%3A%2F%2F127.0.0.1%3A9%2Fhook"),
         ("contact", "ops%40example.com"), ("language", "en")],
    )  # fmt: skip

    assert status == 201, page
    [made] = subscribers.listing(rt).subscriptions
    secret = re.search(r'<code class="secret">(whsec_[^<]+)</code>', page)
    assert secret and secret[1] == made.secret
    assert (made.channel, made.target, made.launches, made.kinds) == (
        "webhook",
        "http://127.0.0.1:9/hook",
        (),
        (),
    )


@pytest.mark.parametrize(
    ("fields", "headers", "status", "code"),
    [
        ([("token", "1.forged")], {}, 422, "subscription.form_stale"),
        ([], {"Origin": "https://evil.example"}, 422, "subscription.form_stale"),
        ([("address", "not-an-address")], {}, 422, "subscription.address_invalid"),
        ([("launch", "nope")], {}, 404, "launch.not_found"),
        ([("kind", "gossip")], {}, 422, "invalid.choice"),
        ([("language", "fr")], {}, 422, "invalid.language"),
        (
            [("channel", "webhook"), ("url", "http%3A%2F%2F10.1.2.3%2F")],
            {},
            422,
            "subscription.target_refused",
        ),
        (
            [("channel", "webhook"), ("url", "http%3A%2F%2F127.0.0.1%3A9%2Fhook"), ("contact", "ops")],
            {},
            422,
            "subscription.address_invalid",
        ),
    ],
)
def test_a_refused_form_says_why_on_the_page_with_its_status_and_subscribes_no_one(
    rt: Runtime,
    site: TestClient,
    mail: Mail,
    fields: list[tuple[str, str]],
    headers: dict[str, str],
    status: int,
    code: str,
) -> None:
    token = form_token(site.get("/?lang=en").text)
    chosen = dict(fields)
    base = {"token": token, "channel": "email", "address": "reader%40example.com", "language": "en"}
    posted = [(k, v) for k, v in base.items() if k not in chosen] + fields

    answer, page = post(site, "/subscribe", posted, **headers)

    assert answer == status, page
    assert f"<code>{code}</code>" in page and 'role="alert"' in page
    assert 'action="/subscribe"' in page  # the form again, to correct and send
    assert subscribers.listing(rt).subscriptions == [] and mail.sink.received == []


def test_an_expired_form_is_refused(rt: Runtime, site: TestClient, clock: object) -> None:

    assert isinstance(clock, SimulatedClock)
    token = form_token(site.get("/").text)
    clock.advance_to(rt.clock.now() + subscriber_lifetime() * 2)
    status, page = post(
        site,
        "/subscribe",
        [("token", token), ("channel", "email"), ("address", "a%40example.com"), ("language", "en")],
    )
    assert status == 422 and "subscription.form_stale" in page


def subscriber_lifetime():  # type: ignore[no-untyped-def]

    return FORM_TOKEN_LIFETIME


def test_every_email_carries_a_link_where_its_subscriber_chooses_launches_kinds_and_language(
    rt: Runtime, site: TestClient, mail: Mail
) -> None:
    token = form_token(site.get("/").text)
    post(
        site,
        "/subscribe",
        [("token", token), ("channel", "email"), ("address", "r%40example.com"), ("language", "en")],
    )
    confirm(site, mail)
    publish(rt)
    assert deliver(rt, mail.settings) == 1
    [notice] = mail.sink.received
    manage = link(notice, BASE_URL + r"/subscriptions/manage/\S+").removeprefix(BASE_URL)
    page = site.get(manage).text
    assert f'name="launch" value="{SLUG}">' in page and '<option value="en" selected>' in page

    status, saved = post(site, manage, [("launch", SLUG), ("kind", "shipping_update"), ("language", "ko")])

    assert status == 200 and '<html lang="ko">' in saved and "저장했습니다" in saved
    assert f'name="launch" value="{SLUG}" checked>' in saved
    [made] = subscribers.listing(rt).subscriptions
    assert (made.launches, made.kinds, made.language, made.state) == (
        (SLUG,),
        (NoticeKind.SHIPPING_UPDATE,),
        "ko",
        "active",
    )
    publish(rt)  # an announcement to every launch: no longer chosen
    assert deliver(rt, mail.settings) == 0


def test_a_forged_manage_link_or_a_bad_choice_is_refused_and_changes_nothing(
    rt: Runtime, site: TestClient
) -> None:
    assert site.get("/subscriptions/manage/s_1.forged").status_code == 422
    status, page = post(site, "/subscriptions/manage/s_1.forged", [("language", "en")])
    assert status == 422 and "subscription.token_invalid" in page
    status, page = post(site, "/subscriptions/manage/s_1.forged", [("language", "fr")])
    assert status == 422 and "invalid.language" in page


def test_subscribing_is_limited_per_address_by_form_and_by_api_and_subscribes_no_one_past_it(
    rt: Runtime, mail: Mail
) -> None:
    launches.create_launch(rt, CreateLaunch(slug=SLUG, titles={"en": "iPad"}, zone="Asia/Seoul"))
    settings = replace(
        mail.settings,
        webhook_allow_hosts=("127.0.0.1",),
        public_writes_per_second=0.01,
        public_writes_burst=2,
    )
    site = TestClient(create_app(rt, settings), base_url=BASE_URL)
    token = form_token(site.get(f"/launches/{SLUG}").text)
    hook = "http%3A%2F%2F127.0.0.1%3A9%2Fhook"

    fields = [("token", token), ("channel", "webhook"), ("language", "en")]
    by_form = [post(site, "/subscribe", [*fields, ("url", f"{hook}{n}")])[0] for n in range(3)]
    by_api = site.post("/subscriptions", json={"channel": "webhook", "url": "http://127.0.0.1:9/more"})

    assert by_form == [201, 201, 429]
    assert (by_api.status_code, by_api.json()["code"]) == (429, "rate.limited")
    assert len(subscribers.listing(rt).subscriptions) == 2
