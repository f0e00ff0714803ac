"""The operators' console, as a browser without JavaScript uses it: forms, cookies, redirects."""

from __future__ import annotations

import warnings
from datetime import UTC, datetime, timedelta

import pytest
from console_client import PASSWORD, csrf, operator, post, signed_in
from starlette.applications import Starlette

from yaksok.config import Settings
from yaksok.domain.clock import SimulatedClock
from yaksok.domain.subscription import Subscription
from yaksok.services import lookups
from yaksok.services.runtime import Runtime
from yaksok.web.app import create_app

with warnings.catch_warnings():
    warnings.simplefilter("ignore")
    from starlette.testclient import TestClient


@pytest.fixture
def app(sqlite_rt: Runtime) -> Starlette:
    return create_app(sqlite_rt, Settings(database_url="unused", run_scheduler=False))


def test_a_signed_out_visitor_is_sent_to_sign_in(app: Starlette) -> None:
    reply = TestClient(app).get("/console/", follow_redirects=False)
    assert reply.status_code == 303 and reply.headers["location"] == "/console/sign-in"


def test_the_session_cookie_is_signed_http_only_strict_and_expires(
    app: Starlette, sqlite_rt: Runtime
) -> None:
    client = TestClient(app)
    email = operator(sqlite_rt, "viewer")
    token = csrf(client.get("/console/sign-in").text)
    reply = client.post(
        "/console/sign-in", data={"csrf": token, "email": email, "password": PASSWORD}, follow_redirects=False
    )
    cookie = reply.headers["set-cookie"].lower()
    assert reply.status_code == 303
    assert "httponly" in cookie and "samesite=strict" in cookie and "max-age=28800" in cookie
    assert "path=/console" in cookie


def test_a_wrong_password_is_refused_without_saying_which_part_was_wrong(
    app: Starlette, sqlite_rt: Runtime
) -> None:
    client = TestClient(app)
    email = operator(sqlite_rt, "admin")
    token = csrf(client.get("/console/sign-in").text)
    wrong = client.post(
        "/console/sign-in", data={"csrf": token, "email": email, "password": "nope nope nope"}
    )
    unknown = client.post(
        "/console/sign-in", data={"csrf": token, "email": "x@example.com", "password": PASSWORD}
    )
    assert wrong.status_code == unknown.status_code == 401
    assert (
        "unknown email or wrong password" in wrong.text and "unknown email or wrong password" in unknown.text
    )


def test_sign_in_is_throttled_per_account_even_with_the_right_password_then(
    app: Starlette, sqlite_rt: Runtime, clock: SimulatedClock
) -> None:
    client = TestClient(app)
    email = operator(sqlite_rt, "admin")
    token = csrf(client.get("/console/sign-in").text)
    for _ in range(5):
        client.post("/console/sign-in", data={"csrf": token, "email": email, "password": "wrong password!"})
    blocked = client.post("/console/sign-in", data={"csrf": token, "email": email, "password": PASSWORD})
    clock.advance(timedelta(minutes=15))
    later = client.post("/console/sign-in", data={"csrf": token, "email": email, "password": PASSWORD})
    assert blocked.status_code == 429 and "too many failed sign-ins" in blocked.text
    assert later.status_code == 200 and later.url.path == "/console/"


def test_a_form_without_the_csrf_token_or_from_another_site_is_refused_and_writes_nothing(
    app: Starlette, sqlite_rt: Runtime
) -> None:
    client = signed_in(app, sqlite_rt, "admin")
    token = csrf(client.get("/console/").text)
    fields = {"slug": "ipad", "title_en": "iPad", "zone": "Asia/Seoul"}
    missing = client.post("/console/launches", data=fields)
    forged = client.post("/console/launches", data={**fields, "csrf": "guessed"})
    cross_site = client.post(
        "/console/launches", data={**fields, "csrf": token}, headers={"Origin": "https://evil.example"}
    )
    assert missing.status_code == forged.status_code == cross_site.status_code == 403
    assert lookups.launches(sqlite_rt) == []


def test_roles_are_those_of_the_admin_api(app: Starlette, sqlite_rt: Runtime) -> None:
    viewer = signed_in(app, sqlite_rt, "viewer")
    reply = post(viewer, "/console/launches", "/console/", slug="ipad", title_en="iPad", zone="Asia/Seoul")
    assert reply.status_code == 403 and "needs the admin role" in reply.text
    assert "Create a launch" not in viewer.get("/console/").text
    assert lookups.launches(sqlite_rt) == []


def test_an_operator_runs_a_promise_change_past_a_broken_rule_with_a_justification_in_both_languages(
    app: Starlette, sqlite_rt: Runtime, clock: SimulatedClock
) -> None:
    client = signed_in(app, sqlite_rt, "admin")
    post(
        client,
        "/console/launches",
        "/console/",
        slug="ipad",
        title_ko="아이패드",
        title_en="iPad",
        zone="Asia/Seoul",
    )
    post(
        client,
        "/console/launches/ipad/milestones",
        "/console/launches/ipad",
        key="sale",
        kind="sale_starts",
        title_ko="판매 시작",
        title_en="Sale starts",
    )
    page = "/console/milestones/ipad.sale"
    announced = post(client, f"{page}/promises", page, time="2010-11-09T20:00", precision="exact")
    assert announced.status_code == 303
    clock.advance_to(datetime(2010, 11, 9, 10, 40, tzinfo=UTC))  # 20 min before 20:00 KST
    change = {
        "time": "2010-11-10T20:00",
        "precision": "exact",
        "reason_en": "Stock is late",
        "reason_ko": "재고 지연",
    }
    checked = post(client, f"{page}/verdict", page, **change)
    refused = post(client, f"{page}/promises", page, **change)
    assert checked.status_code == 200 and "policy.late_change" in checked.text
    assert refused.status_code == 422 and "policy.late_change" in refused.text and "24 h" in refused.text
    assert len(lookups.milestone(sqlite_rt, "ipad.sale").versions) == 1
    overridden = post(
        client,
        f"{page}/promises",
        page,
        **change,
        override_en="Customs held the stock",
        override_ko="세관 보류",
    )
    assert overridden.status_code == 303
    [_, second] = lookups.milestone(sqlite_rt, "ipad.sale").versions
    assert (
        second.overridden == ("policy.lead_time", "policy.late_change")
        and second.justification["ko"] == "세관 보류"
    )


def test_the_verdict_alone_answers_htmx_and_writes_nothing(app: Starlette, sqlite_rt: Runtime) -> None:
    client = signed_in(app, sqlite_rt, "admin")
    post(client, "/console/launches", "/console/", slug="ipad", title_en="iPad", zone="Asia/Seoul")
    post(
        client,
        "/console/launches/ipad/milestones",
        "/console/launches/ipad",
        key="sale",
        kind="sale_starts",
        title_en="Sale",
    )
    page = "/console/milestones/ipad.sale"
    token = csrf(client.get(page).text)
    reply = client.post(
        f"{page}/verdict",
        data={"csrf": token, "time": "2010-10-29T09:00", "precision": "exact"},
        headers={"HX-Request": "true"},
    )
    assert reply.status_code == 200 and reply.text.lstrip().startswith('<div id="verdict"')
    assert "policy.lead_time" in reply.text and "72 h" in reply.text
    assert lookups.milestone(sqlite_rt, "ipad.sale").versions == ()


def test_a_composed_notice_is_previewed_escaped_and_published_on_the_board(
    app: Starlette, sqlite_rt: Runtime
) -> None:
    client = signed_in(app, sqlite_rt, "editor")
    texts = {
        "title_ko": "안내",
        "title_en": "Opening hours",
        "body_ko": "**매장**",
        "body_en": "<script>x</script> *Stores*",
    }
    preview = post(client, "/console/notices", "/console/notices", action="preview", **texts)
    assert "<strong>매장</strong>" in preview.text and "<em>Stores</em>" in preview.text
    assert "<script>x" not in preview.text and "&lt;script&gt;" in preview.text
    assert '<div lang="ja">' in preview.text  # a notice of no launch may be read in any language
    scheduled = post(
        client,
        "/console/notices",
        "/console/notices",
        action="schedule",
        publish_at="2010-11-01T09:00",
        zone="Asia/Seoul",
        title_en="Later",
    )
    published = post(client, "/console/notices", "/console/notices", action="publish", **texts)
    assert scheduled.status_code == published.status_code == 303
    assert "2010-11-01T00:00:00+00:00 · Later" in client.get("/console/notices").text
    assert "Opening hours" in client.get("/?lang=en").text


def test_signing_out_ends_the_session(app: Starlette, sqlite_rt: Runtime) -> None:
    client = signed_in(app, sqlite_rt, "viewer")
    post(client, "/console/sign-out", "/console/")
    assert client.get("/console/", follow_redirects=False).status_code == 303


def test_the_launch_settings_form_sets_the_content_languages_and_the_title_fields_follow_them(
    app: Starlette, sqlite_rt: Runtime
) -> None:
    admin = signed_in(app, sqlite_rt, "admin")
    fields = {"slug": "ipad-jp", "title_ja": "アイパッド", "zone": "Asia/Tokyo", "languages": "ja"}
    created = post(admin, "/console/launches", "/console/", **fields)
    assert created.status_code == 303, created.text  # type: ignore[attr-defined]
    changed = post(
        admin, "/console/launches/ipad-jp/languages", "/console/launches/ipad-jp", languages="ja, en"
    )
    refused = post(
        admin, "/console/launches/ipad-jp/languages", "/console/launches/ipad-jp", languages="ja,fr"
    )

    assert changed.status_code == 303  # type: ignore[attr-defined]
    assert refused.status_code == 422 and "invalid.language" in refused.text  # type: ignore[attr-defined]
    launch, _ = lookups.launch(sqlite_rt, "ipad-jp")
    assert launch.languages == ("ja", "en") and launch.titles == {"ja": "アイパッド"}
    page = admin.get("/console/launches/ipad-jp").text
    assert 'name="title_ja"' in page and 'name="title_en"' in page and 'name="title_ko"' not in page
    korean = post(admin, "/console/launches/ipad-jp/titles", "/console/launches/ipad-jp", title_ko="아이패드")
    assert korean.status_code == 422 and "invalid.text_language" in korean.text  # type: ignore[attr-defined]
    preview = post(
        admin, "/console/notices", "/console/notices", action="preview", launch="ipad-jp", title_ja="お知らせ"
    )
    assert '<div lang="ja">' in preview.text and '<div lang="en">' in preview.text
    assert '<div lang="ko">' not in preview.text  # previewed in the launch's languages only


def test_the_verdict_says_who_will_be_told_per_channel_and_how_the_reminders_move(
    app: Starlette, sqlite_rt: Runtime, clock: SimulatedClock
) -> None:
    clock.advance_to(datetime(2010, 11, 1, tzinfo=UTC))
    client = signed_in(app, sqlite_rt, "admin")
    post(client, "/console/launches", "/console/", slug="ipad", title_en="iPad", zone="Asia/Seoul")
    milestones = "/console/launches/ipad/milestones"
    post(client, milestones, "/console/launches/ipad", key="sale", kind="sale_starts", title_en="Sale")
    page = "/console/milestones/ipad.sale"
    post(client, f"{page}/promises", page, time="2010-11-09T20:00", precision="exact")
    followers = [
        Subscription(
            id=f"s{n}",
            channel=channel,
            target=f"https://hooks.example/{n}",
            secret="whsec_x",
            language="en",
            created_at=clock.now(),
            launches=launches,
        )
        for n, (channel, launches) in enumerate(
            [("webhook", ("ipad",)), ("webhook", ()), ("webhook", ("galaxy-tab",)), ("mastodon", ("ipad",))]
        )
    ]
    with sqlite_rt.store.write() as tx:
        tx.subscriptions.add_many(followers)

    checked = post(
        client, f"{page}/verdict", page, time="2010-11-10T20:00", precision="exact", reason_en="Stock is late"
    )

    assert "mastodon 1" in checked.text and "webhook 2" in checked.text  # not the other launch's
    assert "72 h" in checked.text and "2010-11-06 20:00 KST" in checked.text  # now due
    assert "2010-11-07 20:00 KST" in checked.text  # after the change
    assert len(lookups.milestone(sqlite_rt, "ipad.sale").versions) == 1  # nothing written
