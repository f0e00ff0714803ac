"""Questions through public doors: customers ask with the page form (no script) and the JSON API,
support staff answer, hide and merge through the admin API; the answer shows on the pages, goes
to the live updates and is mailed to the asker through a real ``aiosmtpd`` on 127.0.0.1. Hostile
input is refused with a 4xx and stores nothing, or is shown as inert text."""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import replace
from datetime import timedelta
from html import unescape

import pytest
from console_client import post, signed_in
from delivery_runs import send_personal
from starlette.testclient import TestClient
from test_email import BASE_URL, Mail
from test_email import mail as mail

from yaksok.domain.clock import SimulatedClock
from yaksok.domain.commands import CreateLaunch, WriteNotice
from yaksok.domain.notice import NoticeKind
from yaksok.services import launches, questions
from yaksok.services.auth import create_token
from yaksok.services.notices import create_notice
from yaksok.services.runtime import Runtime
from yaksok.web.app import create_app
from yaksok.web.live import published_after

SLUG = "ipad-kt-2010"
FORM = {"Content-Type": "application/x-www-form-urlencoded"}
Headers = dict[str, str]


@pytest.fixture
def site(rt: Runtime, mail: Mail) -> TestClient:
    launches.create_launch(
        rt, CreateLaunch(slug=SLUG, titles={"ko": "아이패드", "en": "iPad"}, zone="Asia/Seoul")
    )
    return TestClient(create_app(rt, mail.settings), base_url=BASE_URL)


@pytest.fixture
def support(rt: Runtime) -> Headers:
    return {"Authorization": f"Bearer {create_token(rt, 'support').secret}"}


def token_of(page: str) -> str:
    found = re.search(r'name="token" value="([^"]+)"', page)
    assert found, page
    return found[1]


def ask_by_form(site: TestClient, path: str, text: bytes, **headers: str) -> tuple[int, str, str]:
    token = token_of(site.get(f"/launches/{SLUG}?lang=en").text)
    body = b"token=" + token.encode() + b"&language=en&contact=&text=" + text
    answer = site.post(path, content=body, headers={**FORM, **headers}, follow_redirects=False)
    return answer.status_code, answer.headers.get("location", ""), answer.text


def stored(rt: Runtime) -> list[str]:
    return [q.text for q in questions.questions(rt)]


def test_a_customer_asks_with_the_launch_page_form_and_is_sent_back_to_the_question(
    site: TestClient, rt: Runtime
) -> None:
    page = site.get(f"/launches/{SLUG}?lang=en").text
    assert f'<form method="post" action="/launches/{SLUG}/questions"' in page

    status, location, _ = ask_by_form(
        site, f"/launches/{SLUG}/questions", b"When+does+it+open%3F%0AAt+what+time%3F"
    )

    [question] = questions.questions(rt)
    assert status == 303 and location == f"/launches/{SLUG}?asked={question.id}#{question.id}"
    assert question.text == "When does it open?\nAt what time?"
    shown = site.get(location).text
    assert "When does it open?<br>At what time?" in shown
    assert "Waiting for an answer" in shown and "Your question is recorded" in shown


def test_a_question_form_posted_from_another_site_is_refused_and_nothing_is_stored(
    site: TestClient, rt: Runtime
) -> None:
    status, _, page = ask_by_form(
        site, f"/launches/{SLUG}/questions", b"hello", Origin="https://evil.example"
    )
    assert status == 422 and "question.form_stale" in page
    status, _, page = ask_by_form(
        site, f"/launches/{SLUG}/questions", b"hello", **{"Sec-Fetch-Site": "cross-site"}
    )
    assert status == 422
    forged = site.post(
        f"/launches/{SLUG}/questions", content=b"token=1.abc&text=hello&language=en", headers=FORM
    )
    assert forged.status_code == 422 and "question.form_stale" in forged.text
    assert stored(rt) == []


@pytest.mark.parametrize(
    ("body", "code"),
    [
        (b"%FF%FEhello", "question.encoding"),
        (b"\xff\xfehello", "question.encoding"),
        (b"a" * 100_000, "question.too_long"),
        (b"+++%0A+", "question.empty"),
    ],
)
def test_a_hostile_form_body_is_refused_with_its_code_and_nothing_is_stored(
    site: TestClient, rt: Runtime, body: bytes, code: str
) -> None:
    status, _, page = ask_by_form(site, f"/launches/{SLUG}/questions", body)
    assert 400 <= status < 500 and code in page
    assert stored(rt) == []


HOSTILE = [
    "<script>alert(1)</script>",
    '<img src=x onerror="alert(1)">',
    '<a href="javascript:alert(1)">win a prize</a>',
    "<svg/onload=alert(1)>",
]


def test_hostile_markup_in_questions_and_answers_is_shown_as_inert_text(
    site: TestClient, rt: Runtime, support: Headers
) -> None:
    for text in HOSTILE:
        answer = site.post(f"/launches/{SLUG}/questions", json={"text": text, "language": "en"})
        assert answer.status_code == 201, answer.text
    first = questions.questions(rt)[-1]
    given = site.post(
        f"/api/v1/questions/{first.id}/answer", json={"text": '<b onmouseover="x()">no</b>'}, headers=support
    )
    assert given.status_code == 200, given.text

    for path in ("/", f"/launches/{SLUG}"):
        page = site.get(path).text
        assert "<script>alert" not in page and "<img src=x" not in page and "<svg/onload" not in page
        assert '<a href="javascript:' not in page and "<b onmouseover" not in page
        assert "&lt;script&gt;alert(1)&lt;/script&gt;" in page
        assert "&lt;b onmouseover=" in page


def test_the_json_api_refuses_bad_questions_with_stable_codes_and_stores_nothing(
    site: TestClient, rt: Runtime
) -> None:
    path = f"/launches/{SLUG}/questions"
    cases = [
        (site.post(path, json={"text": "   "}), 422, "question.empty"),
        (site.post(path, json={"text": "x" * 2001}), 422, "question.too_long"),
        (site.post(path, json={"text": "hi", "language": "fr"}), 422, "invalid.language"),
        (site.post(path, json={"text": "hi", "contact": "not an address"}), 422,
         "subscription.address_invalid"),
        (site.post(path, content=b'{"text": "\xff\xfe"}', headers={"Content-Type": "application/json"}), 400,
         "request.malformed_json"),
        (site.post(path, content=b"{" + b" " * 70_000 + b"}", headers={"Content-Type": "application/json"}),
         413, "request.too_large"),
        (site.post("/launches/nope/questions", json={"text": "hi"}), 404, "launch.not_found"),
    ]  # fmt: skip
    for answer, status, code in cases:
        assert (answer.status_code, answer.json()["code"]) == (status, code), answer.text
    assert stored(rt) == []


def test_public_questions_are_rate_limited_per_address_with_retry_after(rt: Runtime, mail: Mail) -> None:
    launches.create_launch(rt, CreateLaunch(slug=SLUG, titles={"en": "iPad"}, zone="Asia/Seoul"))
    settings = replace(mail.settings, public_writes_per_second=0.5, public_writes_burst=2)
    site = TestClient(create_app(rt, settings))
    replies = [site.post(f"/launches/{SLUG}/questions", json={"text": f"q{n}"}) for n in range(3)]
    assert [r.status_code for r in replies] == [201, 201, 429]
    assert replies[2].json()["code"] == "rate.limited" and int(replies[2].headers["Retry-After"]) >= 1
    assert len(stored(rt)) == 2


def test_support_answers_through_the_api_and_the_asker_is_mailed_in_their_language(
    site: TestClient, rt: Runtime, mail: Mail, support: Headers
) -> None:
    asked = site.post(
        f"/launches/{SLUG}/questions",
        json={"text": "가격은 언제 나오나요?", "language": "ko", "contact": "asker@example.com"},
    ).json()
    assert "contact" not in asked
    answer = site.post(
        f"/api/v1/questions/{asked['id']}/answer",
        json={"text": "11월 12일 12:00에 발표합니다."},
        headers=support,
    )
    assert answer.status_code == 200, answer.text
    body = answer.json()
    assert body["state"] == "answered" and body["answers"][0]["official"] is True

    assert send_personal(rt, mail.settings) == 1  # the delivery worker sends it from the outbox
    [message] = mail.sink.received
    assert message["To"] == "asker@example.com" and "공식 답변" in str(message["Subject"])
    text = message.get_body(("plain",))
    assert text is not None and "11월 12일 12:00에 발표합니다." in text.get_content()
    assert f"{BASE_URL}/launches/{SLUG}#{asked['id']}" in text.get_content()
    page = site.get(f"/launches/{SLUG}?lang=en").text
    assert "11월 12일 12:00에 발표합니다." in page and "Official answer" in page
    assert "asker@example.com" not in page and "asker@example.com" not in site.get("/").text


def test_an_official_answer_is_a_live_update_after_its_seq(
    site: TestClient, rt: Runtime, support: Headers
) -> None:
    asked = site.post(f"/launches/{SLUG}/questions", json={"text": "Is 64GB capped?"}).json()
    before = max(f.seq for f in published_after(rt, 0)) if published_after(rt, 0) else 0
    site.post(f"/api/v1/questions/{asked['id']}/answer", json={"text": "Yes, at 300."}, headers=support)
    [frame] = published_after(rt, before)
    assert frame.launch == SLUG and b"event: answer" in frame.data and b"Yes, at 300." in frame.data


def test_support_can_answer_but_not_publish_notices_and_a_viewer_cannot_answer(
    site: TestClient, rt: Runtime, support: Headers, bearer: Callable[[str], Headers]
) -> None:
    asked = site.post(f"/launches/{SLUG}/questions", json={"text": "When?"}).json()
    viewer = site.post(
        f"/api/v1/questions/{asked['id']}/answer", json={"text": "x"}, headers=bearer("viewer")
    )
    assert (viewer.status_code, viewer.json()["code"]) == (403, "auth.forbidden")
    notice = {"kind": "general", "titles": {"en": "t"}, "bodies": {"en": "b"}, "publish_now": True}
    refused = site.post("/api/v1/notices", json=notice, headers=support)
    assert (refused.status_code, refused.json()["code"]) == (403, "auth.forbidden")
    assert site.post(
        f"/api/v1/questions/{asked['id']}/answer", json={"text": "Soon"}, headers=support
    ).is_success


def test_a_hidden_question_is_gone_from_the_pages_and_ledgered_without_its_text(
    site: TestClient, rt: Runtime, support: Headers, ledger_head: Callable[[], int]
) -> None:
    asked = site.post(f"/launches/{SLUG}/questions", json={"text": "buy cheap pills here"}).json()
    hidden = site.post(f"/api/v1/questions/{asked['id']}/hide", json={"reason": "spam"}, headers=support)
    assert hidden.status_code == 200 and hidden.json()["state"] == "hidden"
    assert "cheap pills" not in site.get(f"/launches/{SLUG}").text
    assert site.get(f"/launches/{SLUG}/questions").json() == []
    ledger = site.get("/ledger", params={"limit": 1000}).text
    assert '"question.hidden"' in ledger and "cheap pills" not in ledger
    again = site.post(f"/api/v1/questions/{asked['id']}/answer", json={"text": "x"}, headers=support)
    assert (again.status_code, again.json()["code"]) == (409, "question.hidden")


def test_a_merged_question_gets_the_answer_of_the_one_it_was_merged_into(
    site: TestClient, rt: Runtime, support: Headers, mail: Mail
) -> None:
    first = site.post(f"/launches/{SLUG}/questions", json={"text": "Price?"}).json()
    second = site.post(
        f"/launches/{SLUG}/questions", json={"text": "How much?", "contact": "b@example.com"}
    ).json()
    merged = site.post(f"/api/v1/questions/{second['id']}/merge", json={"into": first["id"]}, headers=support)
    assert merged.status_code == 200 and merged.json()["merged_into"] == first["id"]
    site.post(f"/api/v1/questions/{first['id']}/answer", json={"text": "From 629,000 won."}, headers=support)

    listed = {q["id"]: q for q in site.get("/api/v1/questions", headers=support).json()}
    assert listed[second["id"]]["state"] == "answered"
    send_personal(rt, mail.settings)
    assert [m["To"] for m in mail.sink.received] == ["b@example.com"]
    direct = site.post(f"/api/v1/questions/{second['id']}/answer", json={"text": "x"}, headers=support)
    assert direct.json()["code"] == "question.merged"
    self_merge = site.post(
        f"/api/v1/questions/{first['id']}/merge", json={"into": first["id"]}, headers=support
    )
    assert self_merge.json()["code"] == "question.merge_invalid"


def test_a_question_on_a_notice_shows_on_its_page_and_on_the_launch_page(
    site: TestClient, rt: Runtime, clock: SimulatedClock
) -> None:
    notice = create_notice(
        rt,
        WriteNotice(
            kind=NoticeKind.GENERAL, titles={"en": "Update"}, bodies={"en": "b"}, launch_slug=SLUG,
            publish_now=True,
        ),
    )  # fmt: skip
    clock.advance(timedelta(minutes=1))
    page = site.get(f"/notices/{notice.id}?lang=en").text
    assert f'action="/notices/{notice.id}/questions"' in page
    asked = site.post(f"/notices/{notice.id}/questions", json={"text": "Which colour?"})
    assert asked.status_code == 201 and asked.json()["notice"] == notice.id
    assert "Which colour?" in site.get(f"/notices/{notice.id}").text
    assert "Which colour?" in site.get(f"/launches/{SLUG}").text
    missing = site.post("/notices/n_nope/questions", json={"text": "x"})
    assert missing.status_code == 404


def test_the_korean_launch_page_words_the_questions_in_korean(site: TestClient) -> None:
    site.post(f"/launches/{SLUG}/questions", json={"text": "언제요?", "language": "ko"})
    page = unescape(site.get(f"/launches/{SLUG}?lang=ko").text)
    assert "질문하기" in page and "답변을 기다리는 중" in page


def test_support_answers_hides_and_merges_from_the_console_without_script(
    site: TestClient, rt: Runtime, mail: Mail
) -> None:
    app = create_app(rt, replace(mail.settings, base_url="http://testserver"))
    first = site.post(
        f"/launches/{SLUG}/questions", json={"text": "Price?", "contact": "a@example.com"}
    ).json()
    second = site.post(f"/launches/{SLUG}/questions", json={"text": "How much?"}).json()
    abuse = site.post(f"/launches/{SLUG}/questions", json={"text": "rude words"}).json()
    console = signed_in(app, rt, "support")
    page = console.get("/console/questions").text
    assert 'href="/console/questions"' in page and first["id"] in page and "a@example.com" in page

    merged = post(console, f"/console/questions/{second['id']}/merge", "/console/questions", into=first["id"])
    answered = post(
        console, f"/console/questions/{first['id']}/answer", "/console/questions", text="629,000 won"
    )
    hidden = post(console, f"/console/questions/{abuse['id']}/hide", "/console/questions", reason="insults")
    assert [getattr(r, "status_code", 0) for r in (merged, answered, hidden)] == [303, 303, 303]

    public = site.get(f"/launches/{SLUG}?lang=en").text
    assert "629,000 won" in public and "rude words" not in public and "a@example.com" not in public
    send_personal(rt, mail.settings)
    assert [m["To"] for m in mail.sink.received] == ["a@example.com"]
    cross = console.post(
        f"/console/questions/{second['id']}/answer",
        data={"csrf": "forged", "text": "x"},
        headers={"Origin": "https://evil.example"},
    )
    assert cross.status_code == 403


def test_a_viewer_cannot_open_the_questions_page(site: TestClient, rt: Runtime, mail: Mail) -> None:
    app = create_app(rt, replace(mail.settings, base_url="http://testserver"))
    assert signed_in(app, rt, "viewer").get("/console/questions").status_code == 403


def test_the_scorecard_shows_time_to_first_official_answer_and_what_is_still_open(
    site: TestClient, rt: Runtime, clock: SimulatedClock, support: Headers
) -> None:
    ids = [site.post(f"/launches/{SLUG}/questions", json={"text": f"q{n}"}).json()["id"] for n in range(3)]
    for question_id, minutes in zip(ids[:2], (15, 45), strict=True):
        clock.advance(timedelta(minutes=minutes))
        site.post(f"/api/v1/questions/{question_id}/answer", json={"text": "a"}, headers=support)
    numbers = site.get(f"/launches/{SLUG}/scorecard.json").json()
    assert numbers["questions"][SLUG] == {
        "asked": 3,
        "answered": 2,
        "unanswered": 1,
        "first_answer_minutes_median": 37.5,
        "first_answer_minutes_p90": 60.0,
    }
    assert numbers["question_response_minutes"] == {"median": 37.5, "p90": 60.0}
    page = unescape(site.get("/scorecard?lang=en").text)
    assert "Time to first official answer (median)" in page and "37.5 min" in page
    assert "Still unanswered" in page
