from __future__ import annotations

import json
import re
from datetime import UTC, datetime

from hypothesis import given
from hypothesis import strategies as st

from yaksok.channels.sse import KEEPALIVE, RETRY, notice_frame
from yaksok.domain.notice import Notice, NoticeKind

PUBLISHED = datetime(2010, 11, 9, 11, 0, tzinfo=UTC)


def published(titles: dict[str, str], launch: str | None = "ipad-kt-2010") -> Notice:
    draft = Notice(
        id="n_0001",
        kind=NoticeKind.CHANGE,
        titles=titles,
        bodies={},
        created_at=PUBLISHED,
        launch_slug=launch,
    )
    return draft.publish(PUBLISHED)


def parse(stream: bytes) -> tuple[list[dict[str, str]], list[str]]:
    """Events and comments as a browser's EventSource reads them (WHATWG HTML, "Interpreting an
    event stream"): any of CRLF, CR or LF ends a line, a blank line dispatches, data lines join."""
    events: list[dict[str, str]] = []
    comments: list[str] = []
    fields: dict[str, str] = {}
    data: list[str] = []
    for line in re.split(r"\r\n|\r|\n", stream.decode("utf-8")):
        if line == "":
            if data or fields:
                events.append({**fields, **({"data": "\n".join(data)} if data else {})})
            fields, data = {}, []
        elif line.startswith(":"):
            comments.append(line[1:].removeprefix(" "))
        else:
            name, _, value = line.partition(":")
            value = value.removeprefix(" ")
            if name == "data":
                data.append(value)
            else:
                fields[name] = value
    return events, comments


def test_a_frame_is_one_notice_event_with_the_seq_as_its_id() -> None:
    frame = notice_frame(published({"en": "Pre-orders postponed"}), 42, base_url="https://yaksok.example/")

    events, _ = parse(frame)

    assert frame.endswith(b"\n\n")
    assert events == [{"id": "42", "event": "notice", "data": events[0]["data"]}]
    assert json.loads(events[0]["data"]) == {
        "id": "n_0001",
        "seq": 42,
        "kind": "change",
        "launch": "ipad-kt-2010",
        "titles": {"en": "Pre-orders postponed"},
        "published_at": "2010-11-09T11:00:00+00:00",
        "url": "https://yaksok.example/notices/n_0001",
    }


def test_an_empty_base_url_gives_a_root_relative_link() -> None:
    frame = notice_frame(published({"en": "x"}, launch=None), 7, base_url="")

    event = json.loads(parse(frame)[0][0]["data"])
    assert event["url"] == "/notices/n_0001" and event["launch"] is None


def test_line_breaks_markup_and_korean_in_titles_stay_inside_one_data_line() -> None:
    titles = {
        "ko": "예약 판매\r\n연기 — 죄송합니다\u2028",
        "en": "<script>alert(1)</script>\nid: 999\n\ndata: x",
    }

    frame = notice_frame(published(titles), 3, base_url="")

    assert frame.count(b"\n") == 4 and b"\r" not in frame  # id, event, data, blank line
    events, _ = parse(frame)
    assert len(events) == 1 and events[0]["id"] == "3"
    assert json.loads(events[0]["data"])["titles"] == titles


@given(st.dictionaries(st.sampled_from(["ko", "en"]), st.text().filter(str.strip), min_size=1))
def test_any_title_survives_the_round_trip(titles: dict[str, str]) -> None:
    events, _ = parse(notice_frame(published(titles), 1, base_url=""))

    assert len(events) == 1
    assert json.loads(events[0]["data"])["titles"] == titles


def test_retry_and_keep_alive_are_a_reconnection_delay_and_a_comment() -> None:
    events, comments = parse(RETRY + KEEPALIVE)

    assert events == [{"retry": "3000"}]
    assert comments == ["keep-alive"]
