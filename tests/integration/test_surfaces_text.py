"""Any text a person can type, sent through the API, reaches every public surface intact:
the calendars, the Atom feeds, the live stream, the pages and their headers, each read back by
a real parser, and never a 500."""

from __future__ import annotations

import json
import re
import warnings
from collections.abc import Iterator

import feedparser
import httpx
import pytest
from icalendar import Calendar

from yaksok.channels.safe_text import one_line
from yaksok.config import Settings
from yaksok.services.auth import create_token
from yaksok.services.runtime import Runtime
from yaksok.web.app import create_app

with warnings.catch_warnings():
    # Starlette 1.x prefers httpx2 for its TestClient; plain httpx behaves the same in process.
    warnings.simplefilter("ignore")
    from starlette.testclient import TestClient

SLUG = "ipad"
HOSTILE = {
    "line feed": "a\nb",
    "carriage return": "a\rb",
    "crlf": "a\r\nb",
    "line separator": "a\u2028b",
    "paragraph separator": "a\u2029b",
    "other line ends": "a\x0bb\x0cc\x1cd\x85e",
    "control characters": "a\x07b\x1bc\x7fd\x9fe\ufffef",
    "a very long line": "long " + "x" * 5000,
    "a very long korean line": "예약 " * 500,
    "markup and escapes": "<script>alert(1)</script> & \"q\" 'a' ;,\\: \\n",
    "only a break": "\n",
}


@pytest.fixture
def web(sqlite_rt: Runtime) -> Iterator[TestClient]:
    settings = Settings(database_url="unused", run_scheduler=False, base_url="https://yaksok.example")
    with TestClient(create_app(sqlite_rt, settings), raise_server_exceptions=False) as client:
        client.headers["Authorization"] = f"Bearer {create_token(sqlite_rt, 'admin').secret}"
        yield client


def created(response: httpx.Response) -> dict[str, object]:
    assert response.status_code == 201, response.text
    body: dict[str, object] = response.json()
    return body


def launch_with(web: TestClient, text: str) -> tuple[str, str]:
    """A launch, a milestone promised for a day then for 20:00, a notice and a clarification,
    every text of them ``text``; the notice's and the clarification's ids."""
    titles = {"en": f"iPad {text}", "ko": f"아이패드 {text}"}
    created(web.post("/api/v1/launches", json={"slug": SLUG, "titles": titles, "zone": "Asia/Seoul"}))
    milestone = {"key": "preorder", "kind": "preorder_opens", "titles": titles}
    created(web.post(f"/api/v1/launches/{SLUG}/milestones", json=milestone))
    promises = f"/api/v1/milestones/{SLUG}.preorder/promises"
    created(web.post(promises, json={"time": "2010-11-09", "precision": "day", "reason": text}))
    created(web.post(promises, json={"time": "2010-11-09T20:00", "precision": "exact", "reason": text}))
    notice = {"kind": "general", "titles": titles, "bodies": titles, "launch": SLUG, "publish_now": True}
    notice_id = str(created(web.post("/api/v1/notices", json=notice))["id"])
    claim = {
        "text": f"claim {text}",
        "verdict": "false",
        "source_url": "https://press.example/story?id=1&lang=en",
    }
    clarification = {"claim": claim, "titles": titles, "bodies": titles, "launch": SLUG}
    clarification_id = str(created(web.post("/api/v1/clarifications", json=clarification))["id"])
    return notice_id, clarification_id


def assert_clean_headers(response: httpx.Response) -> None:
    for name, value in response.headers.items():
        assert value.isprintable() and value.isascii(), (name, value)


def sse_events(stream: bytes) -> list[dict[str, str]]:
    """Events as a browser's EventSource reads them (WHATWG HTML, "Interpreting an event
    stream"): CRLF, CR or LF end a line, a blank line dispatches, data lines join."""
    events, fields, data = [], {}, []
    for line in re.split(r"\r\n|\r|\n", stream.decode("utf-8")):
        if line == "":
            if data:
                events.append({**fields, "data": "\n".join(data)})
            fields, data = {}, []
        elif not line.startswith(":"):
            name, _, value = line.partition(":")
            if name == "data":
                data.append(value.removeprefix(" "))
            else:
                fields[name] = value.removeprefix(" ")
    return events


@pytest.mark.parametrize("text", HOSTILE.values(), ids=HOSTILE.keys())
@pytest.mark.parametrize("path", ["/calendar.ics", f"/launches/{SLUG}/calendar.ics"])
@pytest.mark.parametrize("lang", ["en", "ko"])
def test_any_text_gives_a_calendar_the_icalendar_parser_reads(
    web: TestClient, text: str, path: str, lang: str
) -> None:
    launch_with(web, text)

    response = web.get(path, params={"lang": lang})

    assert response.status_code == 200, response.text
    assert_clean_headers(response)
    lines = response.content.split(b"\r\n")
    assert all(b"\n" not in line and b"\r" not in line and len(line) <= 75 for line in lines)
    [event] = Calendar.from_ical(response.content).events
    title = f"iPad {text}" if lang == "en" else f"아이패드 {text}"
    assert event["SUMMARY"] == one_line(f"{title} — {title}")
    assert event["DESCRIPTION"].count("\n") >= 4  # the history's own lines survive, escaped


@pytest.mark.parametrize("text", HOSTILE.values(), ids=HOSTILE.keys())
@pytest.mark.parametrize("path", ["/feed.atom", f"/launches/{SLUG}/feed.atom"])
def test_any_text_gives_an_atom_feed_feedparser_reads(web: TestClient, text: str, path: str) -> None:
    notice_id, _ = launch_with(web, text)

    response = web.get(path, params={"lang": "en"})

    assert response.status_code == 200, response.text
    assert_clean_headers(response)
    feed = feedparser.parse(response.content)
    assert feed.bozo == 0, feed.get("bozo_exception")
    assert len(feed.entries) == 4  # two promises, the notice and the clarification
    [notice] = [entry for entry in feed.entries if entry.link.endswith(f"/notices/{notice_id}")]
    assert notice.title.startswith("iPad") and "iPad" in notice.content[0].value


@pytest.mark.parametrize("text", HOSTILE.values(), ids=HOSTILE.keys())
def test_any_text_reaches_the_live_stream_as_one_data_line_per_event(web: TestClient, text: str) -> None:
    notice_id, clarification_id = launch_with(web, text)

    with web.stream("GET", "/events", headers={"Last-Event-ID": "0"}) as response:
        assert_clean_headers(response)
        chunks = response.iter_raw()
        assert next(chunks) == b"retry: 3000\n\n"
        stream = b""
        while stream.count(b"event: notice") < 4:
            stream += next(chunks)

    events = sse_events(stream)
    by_id = {json.loads(event["data"])["id"]: json.loads(event["data"]) for event in events}
    assert [event["event"] for event in events] == ["notice"] * 4
    assert by_id[notice_id]["titles"] == {"en": f"iPad {text}", "ko": f"아이패드 {text}"}
    assert by_id[clarification_id]["titles"]["en"] == f"iPad {text}"


@pytest.mark.parametrize("text", HOSTILE.values(), ids=HOSTILE.keys())
def test_any_text_gives_pages_that_escape_it(web: TestClient, text: str) -> None:
    notice_id, clarification_id = launch_with(web, text)

    for path in ["/", f"/launches/{SLUG}", f"/notices/{notice_id}", f"/notices/{clarification_id}"]:
        response = web.get(path, params={"lang": "en"})
        assert response.status_code == 200, (path, response.text)
        assert_clean_headers(response)
        assert "<script>alert" not in response.text


def test_a_nul_character_is_refused_with_a_clear_answer(web: TestClient) -> None:
    response = web.post("/api/v1/launches", json={"slug": SLUG, "titles": {"en": "a\x00b"}, "zone": "UTC"})

    assert response.status_code == 422
    assert response.json()["code"] == "request.invalid"
