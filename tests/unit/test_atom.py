from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime

import feedparser

from yaksok.channels.atom import atom_feed
from yaksok.domain.launch import Launch, Milestone, MilestoneKind
from yaksok.domain.notice import Claim, Notice, NoticeKind, Verdict
from yaksok.domain.promise import Promise

BASE = "https://yaksok.example"
LAUNCH = Launch(slug="ipad-kt-2010", titles={"ko": "아이패드", "en": "iPad"}, zone="Asia/Seoul")
CREATED = datetime(2010, 11, 1, tzinfo=UTC)


def preorder_milestone() -> Milestone:
    milestone = Milestone(
        id=Milestone.make_id(LAUNCH.slug, "preorder-opens"),
        launch_slug=LAUNCH.slug,
        key="preorder-opens",
        kind=MilestoneKind.PREORDER_OPENS,
        titles={"en": "Pre-orders open", "ko": "예약 판매 시작"},
    )
    milestone, _ = milestone.revise(
        Promise.parse("2010-11-09T20:00", LAUNCH.zone, "exact"), policy=LAUNCH.policy, now=CREATED
    )
    return milestone


def published(notice_id: str, hour: int, **fields: object) -> Notice:
    fields.setdefault("kind", NoticeKind.ANNOUNCEMENT)
    draft = Notice(
        id=notice_id,
        titles=fields.pop("titles", {"en": f"Notice {notice_id}", "ko": f"공지 {notice_id}"}),  # type: ignore[arg-type]
        bodies=fields.pop("bodies", {"en": "Body", "ko": "본문"}),  # type: ignore[arg-type]
        created_at=CREATED,
        launch_slug=LAUNCH.slug,
        **fields,  # type: ignore[arg-type]
    )
    return draft.publish(datetime(2010, 11, 9, hour, tzinfo=UTC))


def feed(notices: list[Notice], **options: object) -> bytes:
    milestone = preorder_milestone()
    options.setdefault("lang", "en")
    options.setdefault("title", "iPad launch")
    return atom_feed(
        notices,
        {milestone.id: milestone},
        base_url=BASE,
        **options,  # type: ignore[arg-type]
    )


def test_the_feed_is_valid_atom_1_0() -> None:
    parsed = feedparser.parse(feed([published("n1", 1), published("n2", 2)]))

    assert parsed.bozo == 0, parsed.get("bozo_exception")
    assert parsed.version == "atom10"


def test_the_feed_names_itself_its_site_and_its_author() -> None:
    parsed = feedparser.parse(feed([published("n1", 1)], subtitle="Every promise, on time"))

    assert parsed.feed.id == f"{BASE}/feed.atom"
    assert parsed.feed.title == "iPad launch"
    assert parsed.feed.subtitle == "Every promise, on time"
    assert parsed.feed.author_detail.name == "yaksok"
    links = {link.rel: link.href for link in parsed.feed.links}
    assert links == {"self": f"{BASE}/feed.atom", "alternate": f"{BASE}/"}


def test_a_per_launch_feed_uses_its_own_self_url_as_id_and_self_link() -> None:
    self_url = f"{BASE}/launches/ipad-kt-2010/feed.atom"

    parsed = feedparser.parse(feed([published("n1", 1)], self_url=self_url))

    assert parsed.feed.id == self_url
    assert [link.href for link in parsed.feed.links if link.rel == "self"] == [self_url]


def test_only_published_notices_appear_newest_first() -> None:
    draft = Notice(id="draft", kind=NoticeKind.GENERAL, titles={"en": "Draft"}, bodies={}, created_at=CREATED)
    scheduled = replace(draft, id="later").schedule(datetime(2010, 11, 20, tzinfo=UTC), CREATED)

    parsed = feedparser.parse(
        feed([published("n1", 1), draft, published("n3", 3), scheduled, published("n2", 2)])
    )

    assert [entry.id for entry in parsed.entries] == [f"{BASE}/notices/{n}" for n in ("n3", "n2", "n1")]


def test_an_entry_carries_its_stable_id_link_dates_and_kind() -> None:
    parsed = feedparser.parse(feed([published("n1", 11, kind=NoticeKind.CHANGE)]))

    entry = parsed.entries[0]
    assert entry.id == f"{BASE}/notices/n1"
    assert entry.link == f"{BASE}/notices/n1"
    assert entry.published == entry.updated == "2010-11-09T11:00:00+00:00"
    assert [tag.term for tag in entry.tags] == ["change"]


def test_the_feed_is_updated_when_its_newest_notice_was_published() -> None:
    parsed = feedparser.parse(feed([published("n1", 1), published("n2", 5)]))

    assert parsed.feed.updated == "2010-11-09T05:00:00+00:00"


def test_an_empty_feed_is_still_valid_and_dated_by_the_caller_or_the_epoch() -> None:
    given = feedparser.parse(feed([], updated=datetime(2010, 11, 1, tzinfo=UTC)))
    default = feedparser.parse(feed([]))

    assert given.bozo == 0 and default.bozo == 0
    assert given.feed.updated == "2010-11-01T00:00:00+00:00"
    assert default.feed.updated == "1970-01-01T00:00:00+00:00"


def test_the_content_is_the_full_rendered_body_with_its_extras() -> None:
    claim = Claim("Pre-orders open at 9:00", Verdict.FALSE)
    clarification = published(
        "n1",
        1,
        kind=NoticeKind.CLARIFICATION,
        claim=claim,
        bodies={"en": "Pre-orders open **{{milestone:ipad-kt-2010.preorder-opens}}**."},
        next_update_at=datetime(2010, 11, 9, 3, tzinfo=UTC),
    )

    parsed = feedparser.parse(feed([clarification], launches={LAUNCH.slug: LAUNCH}))

    content = parsed.entries[0].content[0]
    assert content.type == "text/html"
    assert content.value == (
        "<p>Pre-orders open <strong>2010-11-09 20:00 KST (11:00 UTC)</strong>.</p>\n"
        "<p>Claim: Pre-orders open at 9:00 — Verdict: false</p>\n"
        "<p>Next update at 2010-11-09 12:00 KST (03:00 UTC)</p>"
    )


def test_the_feed_speaks_the_requested_language() -> None:
    parsed = feedparser.parse(feed([published("n1", 1)], lang="ko"))

    assert parsed.feed.language == "ko"
    assert parsed.entries[0].title == "공지 n1"
    assert parsed.entries[0].content[0].value == "<p>본문</p>"


def test_markup_in_titles_and_bodies_survives_as_text() -> None:
    title = "<script>alert(1)</script> Tom & Jerry"
    notice = published("n1", 1, titles={"en": title}, bodies={"en": "<script>alert(2)</script> & more"})

    raw = feed([notice], title="Q&A <b>")
    parsed = feedparser.parse(raw)

    assert b"<script>" not in raw
    assert parsed.feed.title == "Q&A <b>"
    assert parsed.entries[0].title == title
    assert parsed.entries[0].content[0].value == "<p>&lt;script&gt;alert(2)&lt;/script&gt; &amp; more</p>"


def test_control_characters_in_user_text_do_not_break_the_feed() -> None:
    notice = published("n1", 1, titles={"en": "Bell\x07 title"}, bodies={"en": "form\x0cfeed"})

    parsed = feedparser.parse(feed([notice]))

    assert parsed.bozo == 0
    assert parsed.entries[0].title == "Bell\ufffd title"


def test_notice_ids_are_escaped_in_entry_urls() -> None:
    parsed = feedparser.parse(feed([published("a b/c", 1)]))

    assert parsed.entries[0].id == f"{BASE}/notices/a%20b%2Fc"


def test_the_same_notices_give_the_same_bytes() -> None:
    notices = [published("n1", 1), published("n2", 2)]

    assert feed(notices) == feed(list(reversed(notices)))
