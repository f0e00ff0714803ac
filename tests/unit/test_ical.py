from __future__ import annotations

import re
from dataclasses import replace
from datetime import UTC, date, datetime, timedelta

from hypothesis import given
from hypothesis import strategies as st
from icalendar import Calendar, Event, vText

from yaksok.channels.ical import calendar
from yaksok.channels.safe_text import one_line, text_lines
from yaksok.domain.launch import Launch, Milestone, MilestoneKind
from yaksok.domain.promise import Promise

BASE = "https://yaksok.example"
LAUNCH = Launch(slug="ipad-kt-2010", titles={"ko": "아이패드", "en": "iPad"}, zone="Asia/Seoul")
UID = "ipad-kt-2010.preorder-opens@yaksok"
FIRST_PROMISE_AT = datetime(2010, 11, 1, tzinfo=UTC)


def milestone(launch: Launch = LAUNCH, key: str = "preorder-opens") -> Milestone:
    return Milestone(
        id=Milestone.make_id(launch.slug, key),
        launch_slug=launch.slug,
        key=key,
        kind=MilestoneKind.PREORDER_OPENS,
        titles={"en": "Pre-orders open", "ko": "예약 판매 시작"},
    )


def promised(
    text: str, precision: str = "exact", launch: Launch = LAUNCH, key: str = "preorder-opens"
) -> Milestone:
    revised, _ = milestone(launch, key).revise(
        Promise.parse(text, launch.zone, precision), policy=launch.policy, now=FIRST_PROMISE_AT
    )
    return revised


def revised(base: Milestone, text: str, precision: str, day: int, reason: str) -> Milestone:
    result, _ = base.revise(
        Promise.parse(text, LAUNCH.zone, precision),
        policy=LAUNCH.policy,
        now=datetime(2010, 11, day, tzinfo=UTC),
        reason={"en": reason},
    )
    return result


def parse(*milestones: Milestone, lang: str = "en", launches: dict[str, Launch] | None = None) -> Calendar:
    launches = {LAUNCH.slug: LAUNCH} if launches is None else launches
    return Calendar.from_ical(calendar(milestones, launches, base_url=BASE, lang=lang, name="iPad launch"))


def only_event(cal: Calendar) -> Event:
    [event] = cal.events
    return event


def test_the_calendar_is_a_published_gregorian_icalendar_with_a_name() -> None:
    cal = parse(promised("2010-11-09T20:00"))

    assert cal["VERSION"] == "2.0"
    assert "yaksok" in cal["PRODID"]
    assert cal["CALSCALE"] == "GREGORIAN"
    assert cal["METHOD"] == "PUBLISH"
    assert cal["X-WR-CALNAME"] == "iPad launch"


def test_an_exact_promise_becomes_a_confirmed_event_in_the_launch_zone() -> None:
    event = only_event(parse(promised("2010-11-09T20:00")))

    assert str(event["UID"]) == UID
    assert event["SEQUENCE"] == 0
    assert event["STATUS"] == "CONFIRMED"
    assert event["DTSTAMP"].dt == FIRST_PROMISE_AT
    assert event["LAST-MODIFIED"].dt == FIRST_PROMISE_AT
    assert event.start.tzinfo.key == "Asia/Seoul"
    assert event.start.replace(tzinfo=None) == datetime(2010, 11, 9, 20, 0)
    assert event.start == datetime(2010, 11, 9, 11, 0, tzinfo=UTC)
    assert event.end - event.start == timedelta(minutes=30)


def test_the_event_says_which_launch_and_links_to_it() -> None:
    event = only_event(parse(promised("2010-11-09T20:00")))

    assert event["SUMMARY"] == "iPad — Pre-orders open"
    assert event["URL"] == f"{BASE}/launches/ipad-kt-2010"
    assert event["DESCRIPTION"].startswith("2010-11-09 20:00 KST (11:00 UTC)\n")


def test_the_event_speaks_the_requested_language() -> None:
    event = only_event(parse(promised("2010-11-09T20:00"), lang="ko"))

    assert event["SUMMARY"] == "아이패드 — 예약 판매 시작"
    assert "최초 공지" in event["DESCRIPTION"]


def test_every_zone_used_has_a_vtimezone() -> None:
    cal = parse(promised("2010-11-09T20:00"))

    assert [tz.tz_name for tz in cal.timezones] == ["Asia/Seoul"]
    assert cal.get_missing_tzids() == set()


def test_a_zone_with_daylight_saving_gets_rules_that_place_the_event_correctly() -> None:
    usa = Launch(slug="ipad-us", titles={"en": "iPad US"}, zone="America/New_York")
    summer = promised("2011-07-01T09:00", launch=usa, key="sale-starts")
    winter = promised("2011-12-01T09:00", launch=usa, key="preorder-opens")

    cal = parse(summer, winter, launches={usa.slug: usa})

    [timezone] = cal.timezones
    assert timezone.tz_name == "America/New_York"
    # Read the published rules alone, as a client without its own zone database would.
    published_rules = timezone.to_tz(lookup_tzid=False)
    walls = sorted(event.start.replace(tzinfo=published_rules) for event in cal.events)
    assert walls == [datetime(2011, 7, 1, 13, tzinfo=UTC), datetime(2011, 12, 1, 14, tzinfo=UTC)]


def test_a_revised_promise_keeps_the_uid_and_raises_the_sequence() -> None:
    before = promised("2010-11-09T20:00")
    after = revised(before, "2010-11-19T10:00", "exact", day=2, reason="supply is short")

    old, new = only_event(parse(before)), only_event(parse(after))

    assert str(new["UID"]) == str(old["UID"]) == UID
    assert new["SEQUENCE"] == old["SEQUENCE"] + 1 == 1
    assert new["DTSTAMP"].dt == datetime(2010, 11, 2, tzinfo=UTC)
    assert new.start == datetime(2010, 11, 19, 1, 0, tzinfo=UTC)


def test_the_description_tells_the_history_of_versions_with_reasons() -> None:
    before = promised("2010-11-09T20:00")
    after = revised(before, "2010-11-19T10:00", "exact", day=2, reason="supply is short")

    description = only_event(parse(after))["DESCRIPTION"]

    assert description.splitlines()[:4] == [
        "2010-11-19 10:00 KST (01:00 UTC)",
        "",
        "v1 2010-11-09 20:00 KST (11:00 UTC) — first announced",
        "v2 2010-11-19 10:00 KST (01:00 UTC) — delay: supply is short",
    ]


def test_a_cancelled_milestone_stays_as_a_cancelled_event_at_its_last_exact_time() -> None:
    before = promised("2010-11-09T20:00")
    cancelled, _ = before.cancel(
        policy=LAUNCH.policy,
        now=datetime(2010, 11, 2, tzinfo=UTC),
        reason={"en": "no stock"},
        zone=LAUNCH.zone,
    )

    event = only_event(parse(cancelled))

    assert event["STATUS"] == "CANCELLED"
    assert str(event["UID"]) == UID
    assert event["SEQUENCE"] == 1
    assert event.start == datetime(2010, 11, 9, 11, 0, tzinfo=UTC)
    assert event["SUMMARY"] == "[Cancelled] iPad — Pre-orders open"
    assert "cancel: no stock" in event["DESCRIPTION"]


def test_an_exact_time_withdrawn_for_a_vaguer_one_cancels_the_old_slot() -> None:
    before = promised("2010-11-09T20:00")
    vaguer = revised(before, "2010-11", "month", day=2, reason="pricing not settled")

    event = only_event(parse(vaguer))

    assert event["STATUS"] == "CANCELLED"
    assert event["SEQUENCE"] == 1
    assert event.start == datetime(2010, 11, 9, 11, 0, tzinfo=UTC)
    assert event["SUMMARY"] == "[Time to be announced] iPad — Pre-orders open"
    assert event["DESCRIPTION"].startswith("2010-11 (date and time not announced)\n")


def test_an_exact_time_given_again_confirms_the_same_event() -> None:
    vaguer = revised(promised("2010-11-09T20:00"), "2010-11", "month", day=2, reason="pricing not settled")
    again = revised(vaguer, "2010-11-30T09:00", "exact", day=3, reason="pricing settled")

    event = only_event(parse(again))

    assert (str(event["UID"]), event["SEQUENCE"], event["STATUS"]) == (UID, 2, "CONFIRMED")
    assert event.start == datetime(2010, 11, 30, 0, 0, tzinfo=UTC)


def test_a_milestone_with_only_a_month_or_no_time_has_no_event() -> None:
    cal = parse(
        milestone(key="sale-starts"), promised("2010-11", "month"), promised("2010-11-09T20:00", key="x")
    )

    assert [str(event["UID"]) for event in cal.events] == ["ipad-kt-2010.x@yaksok"]


def test_a_day_without_its_time_is_an_all_day_event_marked_time_not_announced() -> None:
    event = only_event(parse(promised("2010-11-09", "day")))

    assert event["DTSTART"].to_ical() == b"20101109"
    assert event["DTSTART"].params["VALUE"] == "DATE"
    assert (event.start, event.end) == (date(2010, 11, 9), date(2010, 11, 10))
    assert (str(event["UID"]), event["SEQUENCE"], event["STATUS"]) == (UID, 0, "CONFIRMED")
    assert event["SUMMARY"] == "[Time not announced] iPad — Pre-orders open"
    assert event["DESCRIPTION"].startswith("2010-11-09 (time not announced)\n")


def test_an_all_day_event_says_time_not_announced_in_korean_too() -> None:
    event = only_event(parse(promised("2010-11-09", "day"), lang="ko"))

    assert event["SUMMARY"] == "[시간 미정] 아이패드 — 예약 판매 시작"
    assert event["DESCRIPTION"].startswith("2010-11-09 (시간 미정)\n")


def test_the_time_named_for_a_day_replaces_its_all_day_event() -> None:
    day = promised("2010-11-09", "day")
    timed = revised(day, "2010-11-09T20:00", "exact", day=2, reason="")

    old, new = only_event(parse(day)), only_event(parse(timed))

    assert str(new["UID"]) == str(old["UID"]) == UID
    assert new["SEQUENCE"] == old["SEQUENCE"] + 1
    assert new.start == datetime(2010, 11, 9, 11, 0, tzinfo=UTC)
    assert new["STATUS"] == "CONFIRMED"
    assert new["SUMMARY"] == "iPad — Pre-orders open"


def test_an_exact_time_withdrawn_for_a_day_becomes_that_days_all_day_event() -> None:
    vaguer = revised(promised("2010-11-09T20:00"), "2010-11-10", "day", day=2, reason="courier strike")

    event = only_event(parse(vaguer))

    assert (event["SEQUENCE"], event["STATUS"]) == (1, "CONFIRMED")
    assert (event.start, event.end) == (date(2010, 11, 10), date(2010, 11, 11))
    assert event["SUMMARY"] == "[Time not announced] iPad — Pre-orders open"


def test_a_day_withdrawn_for_a_month_stays_as_a_cancelled_all_day_event() -> None:
    vaguer = revised(promised("2010-11-09", "day"), "2010-11", "month", day=2, reason="pricing not settled")

    event = only_event(parse(vaguer))

    assert (event["SEQUENCE"], event["STATUS"]) == (1, "CANCELLED")
    assert event.start == date(2010, 11, 9)
    assert event["SUMMARY"] == "[Time to be announced] iPad — Pre-orders open"


def test_a_cancelled_day_stays_as_a_cancelled_all_day_event() -> None:
    cancelled, _ = promised("2010-11-09", "day").cancel(
        policy=LAUNCH.policy,
        now=datetime(2010, 11, 2, tzinfo=UTC),
        reason={"en": "no stock"},
        zone=LAUNCH.zone,
    )

    event = only_event(parse(cancelled))

    assert (event["SEQUENCE"], event["STATUS"]) == (1, "CANCELLED")
    assert event.start == date(2010, 11, 9)
    assert event["SUMMARY"] == "[Cancelled] iPad — Pre-orders open"


def test_all_day_and_timed_events_sit_together_in_time_order() -> None:
    cal = parse(promised("2010-11-19T10:00", key="sale-starts"), promised("2010-11-09", "day"))

    assert [str(event["UID"]) for event in cal.events] == [UID, "ipad-kt-2010.sale-starts@yaksok"]
    assert [tz.tz_name for tz in cal.timezones] == ["Asia/Seoul"]


def test_a_calendar_without_events_is_still_valid() -> None:
    cal = parse()

    assert cal.events == []
    assert cal["METHOD"] == "PUBLISH"


def test_the_same_milestones_give_the_same_bytes() -> None:
    first, second = promised("2010-11-09T20:00"), promised("2010-11-19T10:00", key="sale-starts")

    def render(*milestones: Milestone) -> bytes:
        return calendar(milestones, {LAUNCH.slug: LAUNCH}, base_url=BASE, lang="en", name="iPad launch")

    assert render(first, second) == render(second, first)


# Every character that ends a line for someone (CR, LF, VT, FF, the separators, NEL, U+2028/9),
# other control characters, TEXT's own escapes and non-ASCII, in runs long enough to be folded.
HOSTILE_PIECES = ["a", "가", " ", "\n", "\r", "\r\n", "\x0b", "\x0c", "\x1c", "\x85", "\u2028", "\u2029"]
HOSTILE_PIECES += ["\x00", "\x07", "\x1b", "\x7f", "\x9f", "\ufffe", ",", ";", ":", "\\", "x" * 80, "가" * 40]
hostile_text = st.lists(st.sampled_from(HOSTILE_PIECES), min_size=1, max_size=12).map("".join)


@given(launch_title=hostile_text, milestone_title=hostile_text, reason=hostile_text, name=hostile_text)
def test_any_text_in_titles_reasons_and_the_name_gives_a_well_formed_calendar(
    launch_title: str, milestone_title: str, reason: str, name: str
) -> None:
    launch = Launch(slug=LAUNCH.slug, titles={"en": "iPad " + launch_title}, zone=LAUNCH.zone)
    base = replace(milestone(), titles={"en": "Pre-orders " + milestone_title})
    first, _ = base.revise(
        Promise.parse("2010-11-09", LAUNCH.zone, "day"), policy=launch.policy, now=FIRST_PROMISE_AT
    )
    second = revised(first, "2010-11-09T20:00", "exact", day=2, reason=reason)

    raw = calendar([second], {launch.slug: launch}, base_url=BASE, lang="en", name=name)

    lines = raw.split(b"\r\n")
    assert lines[-1] == b"" and all(b"\r" not in line and b"\n" not in line for line in lines)
    assert all(len(line) <= 75 for line in lines)
    assert not any(re.search(rb"[\x00-\x08\x0a-\x1f\x7f]", line) for line in lines)
    cal = Calendar.from_ical(raw)
    event = only_event(cal)
    # The name is TEXT, escaped (RFC 7986); the parser keeps an X- property's text as written.
    assert str(cal["X-WR-CALNAME"]) == str(cal["NAME"]) == vText(one_line(name)).to_ical().decode()
    assert event["SUMMARY"] == one_line(f"iPad {launch_title} — Pre-orders {milestone_title}")
    assert text_lines(reason.strip()) in event["DESCRIPTION"]


def test_a_japanese_calendar_says_cancelled_and_the_change_in_japanese() -> None:
    before = promised("2010-11-09T20:00")
    cancelled, _ = before.cancel(
        policy=LAUNCH.policy,
        now=datetime(2010, 11, 2, tzinfo=UTC),
        reason={"en": "no stock"},
        zone=LAUNCH.zone,
    )

    event = only_event(parse(cancelled, lang="ja"))

    assert str(event["SUMMARY"]).startswith("[中止] ")
    assert "中止: no stock" in event["DESCRIPTION"] and "中止 (当初 " in event["DESCRIPTION"]
