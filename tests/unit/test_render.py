from __future__ import annotations

from datetime import UTC, datetime

import pytest
from hypothesis import given
from hypothesis import strategies as st

from yaksok.channels.render import (
    body_html,
    body_text,
    expand_placeholders,
    format_instant,
    notice_extras,
    notice_extras_html,
    source_link,
)
from yaksok.domain.errors import InvalidInput
from yaksok.domain.launch import Launch, Milestone, MilestoneKind
from yaksok.domain.notice import Claim, Notice, NoticeKind, Verdict
from yaksok.domain.promise import Promise

LAUNCH = Launch(slug="ipad-kt-2010", titles={"ko": "아이패드", "en": "iPad"}, zone="Asia/Seoul")
PREORDER = "ipad-kt-2010.preorder-opens"
CREATED = datetime(2010, 11, 1, tzinfo=UTC)


def preorder_milestone(*wall_times: str) -> Milestone:
    milestone = Milestone(
        id=PREORDER,
        launch_slug=LAUNCH.slug,
        key="preorder-opens",
        kind=MilestoneKind.PREORDER_OPENS,
        titles={"en": "Pre-orders open", "ko": "예약 판매 시작"},
    )
    for day, wall in enumerate(wall_times, start=1):
        milestone, _ = milestone.revise(
            Promise.parse(wall, LAUNCH.zone, "exact"),
            policy=LAUNCH.policy,
            now=datetime(2010, 11, day, tzinfo=UTC),
            reason={"en": "supply"} if day > 1 else {},
        )
    return milestone


def notice(body: str = "", **fields: object) -> Notice:
    fields.setdefault("kind", NoticeKind.GENERAL)
    return Notice(
        id="n1",
        titles={"en": "Title", "ko": "제목"},
        bodies={"en": body, "ko": body},
        created_at=CREATED,
        **fields,  # type: ignore[arg-type]
    )


def test_a_milestone_placeholder_renders_as_its_promise_with_zone_and_utc() -> None:
    milestones = {PREORDER: preorder_milestone("2010-11-09T20:00")}

    text = expand_placeholders(f"Pre-orders open {{{{milestone:{PREORDER}}}}}.", "en", milestones)

    assert text == "Pre-orders open 2010-11-09 20:00 KST (11:00 UTC)."


def test_a_placeholder_follows_the_newest_promise_version() -> None:
    milestones = {PREORDER: preorder_milestone("2010-11-09T20:00", "2010-11-19T10:00")}

    assert expand_placeholders(f"{{{{milestone:{PREORDER}}}}}", "en", milestones) == (
        "2010-11-19 10:00 KST (01:00 UTC)"
    )


def test_a_milestone_without_a_promise_renders_as_not_yet_announced_in_the_readers_language() -> None:
    milestones = {PREORDER: preorder_milestone()}

    assert expand_placeholders(f"{{{{milestone:{PREORDER}}}}}", "en", milestones) == "not yet announced"
    assert expand_placeholders(f"{{{{milestone:{PREORDER}}}}}", "ko", milestones) == "일정 미정"


def test_a_cancelled_milestone_renders_as_cancelled_not_as_a_live_time() -> None:
    milestone = preorder_milestone("2010-11-09T20:00")
    milestone, _ = milestone.cancel(
        policy=LAUNCH.policy, now=datetime(2010, 11, 2, tzinfo=UTC), reason={"en": "supply"}, zone=LAUNCH.zone
    )

    text = expand_placeholders(f"{{{{milestone:{PREORDER}}}}}", "en", {PREORDER: milestone})

    assert text == "cancelled (was 2010-11-09 20:00 KST (11:00 UTC))"


def test_an_unknown_milestone_is_marked_visibly_instead_of_raising() -> None:
    text = "Opens {{milestone:ipad-kt-2010.nope}}."

    assert expand_placeholders(text, "en", {}) == "Opens [unknown milestone ipad-kt-2010.nope]."
    assert "ipad-kt-2010.nope" in expand_placeholders(text, "ko", {})


@given(st.text().filter(lambda text: "{{" not in text))
def test_text_without_placeholders_is_left_exactly_as_written(text: str) -> None:
    assert expand_placeholders(text, "en", {}) == text


def test_the_html_body_renders_markdown_with_the_placeholder_expanded() -> None:
    milestones = {PREORDER: preorder_milestone("2010-11-09T20:00")}

    html = body_html(notice(f"**Pre-orders** open {{{{milestone:{PREORDER}}}}}"), "en", milestones)

    assert html == "<p><strong>Pre-orders</strong> open 2010-11-09 20:00 KST (11:00 UTC)</p>\n"


def test_the_html_body_escapes_html_written_in_the_notice() -> None:
    html = body_html(notice('<script>alert("x")</script> & <b>bold</b>'), "en", {})

    assert "<script>" not in html
    assert "<b>" not in html
    assert "&lt;script&gt;" in html
    assert "&amp;" in html


def test_the_html_body_refuses_javascript_links_but_keeps_web_links() -> None:
    html = body_html(
        notice("[a](javascript:alert(1)) <javascript:alert(2)> [b](https://example.com/x)"), "en", {}
    )

    assert 'href="javascript' not in html
    assert '<a href="https://example.com/x">b</a>' in html


def test_an_unknown_milestone_marker_never_turns_into_a_link_in_html() -> None:
    html = body_html(notice("{{milestone:x.y}}(https://evil.example)"), "en", {})

    assert "<a " not in html
    assert "[unknown milestone x.y](https://evil.example)" in html


def test_the_text_body_expands_placeholders_and_leaves_markdown_as_written() -> None:
    milestones = {PREORDER: preorder_milestone("2010-11-09T20:00")}

    text = body_text(notice(f"**Opens** {{{{milestone:{PREORDER}}}}} <b>"), "ko", milestones)

    assert text == "**Opens** 2010년 11월 9일 (화) 오후 8:00 KST (11:00 UTC) <b>"


def test_a_plain_notice_has_no_extra_lines() -> None:
    assert notice_extras(notice("body").publish(CREATED), "en") == []


def test_a_clarification_states_the_claim_verdict_and_source() -> None:
    claim = Claim("Pre-orders open at 9:00", Verdict.FALSE, "https://news.example/a")
    clarification = notice(kind=NoticeKind.CLARIFICATION, claim=claim)

    assert notice_extras(clarification, "en") == [
        "Claim: Pre-orders open at 9:00 — Verdict: false (source https://news.example/a)"
    ]
    assert notice_extras(clarification, "ko") == [
        "주장: Pre-orders open at 9:00 — 판정: 사실 아님 (출처 https://news.example/a)"
    ]


def test_a_clarification_without_a_source_does_not_mention_one() -> None:
    clarification = notice(kind=NoticeKind.CLARIFICATION, claim=Claim("Price leaked", Verdict.UNCONFIRMED))

    assert notice_extras(clarification, "ko") == ["주장: Price leaked — 판정: 미확인"]


def test_in_html_the_claims_source_is_a_link_that_passes_on_no_standing() -> None:
    claim = Claim("Pre-orders <b>open</b> at 9:00", Verdict.FALSE, "https://news.example/a?x=1&y=2")
    clarification = notice(kind=NoticeKind.CLARIFICATION, claim=claim, supersedes="n<0>")

    assert notice_extras_html(clarification, "en") == [
        "Claim: Pre-orders &lt;b&gt;open&lt;/b&gt; at 9:00 — Verdict: false (source "
        '<a href="https://news.example/a?x=1&amp;y=2" rel="nofollow noopener">'
        "https://news.example/a?x=1&amp;y=2</a>)",
        "Corrects notice n&lt;0&gt;",
    ]


@pytest.mark.parametrize(
    "url",
    ["javascript:alert(1)", "ftp://files.example/a", "mailto:a@b.example", "data:text/html,<b>", "http:"],
)
def test_a_source_that_is_not_an_http_url_stays_escaped_text(url: str) -> None:
    shown = source_link(url)

    assert "<a" not in shown and "href" not in shown
    assert shown == url.replace("<", "&lt;").replace(">", "&gt;")


def test_an_http_source_is_a_link_whatever_the_case_of_its_scheme() -> None:
    assert source_link("HTTP://news.example/") == (
        '<a href="HTTP://news.example/" rel="nofollow noopener">HTTP://news.example/</a>'
    )


def test_a_policy_override_is_shown_with_its_rule_and_justification() -> None:
    overriding = notice(
        overridden=("policy.lead_time",),
        justification={"en": "Apple set the date", "ko": "애플이 날짜를 정함"},
    )

    assert notice_extras(overriding, "en") == ["Policy override (policy.lead_time): Apple set the date"]
    assert notice_extras(overriding, "ko") == ["정책 예외 (policy.lead_time): 애플이 날짜를 정함"]


def test_a_correction_names_the_notice_it_corrects() -> None:
    assert notice_extras(notice(supersedes="n0"), "en") == ["Corrects notice n0"]
    assert notice_extras(notice(supersedes="n0"), "ko") == ["정정 대상 공지: n0"]


def test_the_next_update_is_shown_in_the_launch_zone_or_else_utc() -> None:
    announced = notice(next_update_at=datetime(2010, 11, 9, 3, 0, tzinfo=UTC))

    assert notice_extras(announced, "en", "Asia/Seoul") == ["Next update at 2010-11-09 12:00 KST (03:00 UTC)"]
    assert notice_extras(announced, "ko")[0] == "다음 업데이트: 2010년 11월 9일 (화) 오전 3:00 UTC"


def test_a_late_notice_says_how_late_and_when_it_was_scheduled() -> None:
    scheduled = notice().schedule(datetime(2010, 11, 9, 1, 0, tzinfo=UTC), CREATED)
    late = scheduled.publish(datetime(2010, 11, 9, 1, 7, 30, tzinfo=UTC))

    assert notice_extras(late, "en", "Asia/Seoul") == ["Published 8 min late (scheduled 10:00 KST)"]
    assert notice_extras(late, "ko", "Asia/Seoul") == ["8분 늦게 게시됨 (예정 10:00 KST)"]


def test_a_notice_late_past_midnight_gives_the_scheduled_date_too() -> None:
    scheduled = notice().schedule(datetime(2010, 11, 9, 14, 30, tzinfo=UTC), CREATED)
    late = scheduled.publish(datetime(2010, 11, 9, 15, 30, tzinfo=UTC))

    assert notice_extras(late, "en", "Asia/Seoul") == [
        "Published 60 min late (scheduled 2010-11-09 23:30 KST)"
    ]


def test_a_notice_published_on_time_has_no_lateness_line() -> None:
    on_time = notice().schedule(datetime(2010, 11, 9, 1, 0, tzinfo=UTC), CREATED)

    assert notice_extras(on_time.publish(datetime(2010, 11, 9, 1, 0, tzinfo=UTC)), "en") == []


def test_an_instant_is_formatted_like_a_promise() -> None:
    assert format_instant(datetime(2010, 11, 9, 11, 0, tzinfo=UTC), "Asia/Seoul") == (
        "2010-11-09 20:00 KST (11:00 UTC)"
    )
    assert format_instant(datetime(2010, 11, 9, 16, 0, tzinfo=UTC), "Asia/Seoul") == (
        "2010-11-10 01:00 KST (2010-11-09 16:00 UTC)"
    )


def test_an_instant_without_a_zone_is_refused() -> None:
    with pytest.raises(InvalidInput):
        format_instant(datetime(2010, 11, 9, 11, 0), "Asia/Seoul")


def test_the_lines_under_a_notice_are_written_in_japanese_too() -> None:
    claim = Claim("Pre-orders open at 9:00", Verdict.FALSE, "https://news.example/a")
    clarification = notice(kind=NoticeKind.CLARIFICATION, claim=claim, supersedes="n0")
    announced = notice(next_update_at=datetime(2010, 11, 9, 3, 0, tzinfo=UTC))

    assert notice_extras(clarification, "ja") == [
        "主張: Pre-orders open at 9:00 — 判定: 事実ではない (出典 https://news.example/a)",
        "訂正対象のお知らせ: n0",
    ]
    assert notice_extras(announced, "ja", "Asia/Seoul") == [
        "次回の更新: 2010年11月9日(火) 12:00 KST (03:00 UTC)"
    ]
