"""Chat through public doors: an operator adds a Slack-compatible or a Teams webhook by the admin
API; a published notice reaches a local receiver that refuses what Slack or Teams refuse."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from delivery_runs import deliver as run_delivery
from social_servers import Slack, Teams, running
from starlette.testclient import TestClient

from yaksok.config import Settings
from yaksok.domain.commands import WriteNotice
from yaksok.domain.notice import Claim, NoticeKind, Verdict
from yaksok.services.notices import create_notice
from yaksok.services.runtime import Runtime
from yaksok.web.app import create_app

SETTINGS = Settings(
    database_url="unused",
    run_scheduler=False,
    webhook_allow_hosts=("127.0.0.1",),
    webhook_timeout=2.0,
    base_url="https://yaksok.example",
)
Headers = dict[str, str]


@pytest.fixture
def slack() -> Iterator[Slack]:
    with running(Slack()) as server:
        assert isinstance(server, Slack)
        yield server


@pytest.fixture
def teams() -> Iterator[Teams]:
    with running(Teams()) as server:
        assert isinstance(server, Teams)
        yield server


@pytest.fixture
def client(rt: Runtime) -> TestClient:
    return TestClient(create_app(rt, SETTINGS))


def add(client: TestClient, admin: Headers, network: str, url: str) -> str:
    answer = client.post("/api/v1/social/accounts", json={"network": network, "target": url}, headers=admin)
    assert answer.status_code == 201, answer.text
    return str(answer.json()["id"])


def publish(rt: Runtime, channels: tuple[str, ...], title: str = "Pre-orders <open> & more") -> str:
    command = WriteNotice(
        kind=NoticeKind.CLARIFICATION,
        titles={"en": title, "ko": "예약 시작"},
        bodies={"en": "Lines form at *6*. " * 300},
        claim=Claim("Pre-orders are cancelled", Verdict.FALSE, "https://news.example/ipad"),
        channels=("board", *channels),
        publish_now=True,
    )
    return create_notice(rt, command).id


def deliver(rt: Runtime) -> int:
    return run_delivery(rt, SETTINGS)


def test_a_notice_reaches_a_slack_webhook_as_block_kit(
    rt: Runtime, client: TestClient, admin: Headers, slack: Slack
) -> None:
    add(client, admin, "slack", slack.url + slack.path)
    notice_id = publish(rt, ("slack",))
    deliver(rt)

    [message] = slack.messages
    header, extras, section, context, actions = message["blocks"]
    assert header["text"]["text"] == "Pre-orders <open> & more"
    assert extras["text"]["text"] == (
        "Claim: Pre-orders are cancelled — Verdict: false (source https://news.example/ipad)"
    )
    assert section["text"]["text"].startswith("Lines form at *6*.")
    assert len(section["text"]["text"]) == 3000 and section["text"]["text"].endswith("…")
    assert context["elements"][0]["text"].startswith("Published: 2010-10-28 00:00 UTC")
    assert actions["elements"][0]["url"] == f"https://yaksok.example/notices/{notice_id}"
    assert message["text"].endswith(f"https://yaksok.example/notices/{notice_id}")


def test_slack_mrkdwn_escapes_what_slack_would_read_as_markup(
    rt: Runtime, client: TestClient, admin: Headers, slack: Slack
) -> None:
    add(client, admin, "slack", slack.url + slack.path)
    command = WriteNotice(
        kind=NoticeKind.CLARIFICATION,
        titles={"en": "Claim checked"},
        bodies={"en": "See <https://evil.example|here> & there."},
        claim=Claim("Pre-orders are cancelled", Verdict.FALSE, "https://news.example/ipad"),
        channels=("board", "slack"),
        publish_now=True,
    )
    create_notice(rt, command)
    deliver(rt)

    [message] = slack.messages
    text = message["blocks"][2]["text"]["text"]
    assert text == "See &lt;https://evil.example|here&gt; &amp; there."


def test_a_gone_slack_webhook_is_disabled_and_a_rate_limited_one_waits(
    rt: Runtime, client: TestClient, admin: Headers, slack: Slack
) -> None:
    account = add(client, admin, "slack", slack.url + slack.path)
    slack.answers = [(429, {"Retry-After": "120"})]
    publish(rt, ("slack",))
    deliver(rt)
    [record] = client.get(f"/api/v1/subscriptions/{account}", headers=admin).json()["deliveries"]
    assert record["status"] == "pending" and "429" in record["last_error"]
    [shown] = client.get("/api/v1/social/accounts", headers=admin).json()["accounts"]
    assert shown["queued"] == 1

    slack.answers = [(410, {})]
    publish(rt, ("slack",), title="Second")
    deliver(rt)
    subscription = client.get(f"/api/v1/subscriptions/{account}", headers=admin).json()["subscription"]
    assert subscription["state"] == "disabled"


def test_a_notice_reaches_a_teams_workflow_as_an_adaptive_card(
    rt: Runtime, client: TestClient, admin: Headers, teams: Teams
) -> None:
    add(client, admin, "teams", teams.url + teams.path)
    notice_id = publish(rt, ("teams",))
    deliver(rt)

    [message] = teams.messages
    card = message["attachments"][0]["content"]
    title, claim, text, facts = card["body"]
    assert title["text"] == "Pre-orders <open> & more"
    assert claim["text"].startswith("Claim: Pre-orders are cancelled — Verdict: false")
    assert text["text"].startswith("Lines form at *6*.")
    assert facts["facts"][0]["value"] == "2010-10-28 00:00 UTC"
    assert card["actions"][0]["url"] == f"https://yaksok.example/notices/{notice_id}"


def test_the_receivers_refuse_what_slack_and_teams_refuse(slack: Slack, teams: Teams) -> None:
    import httpx

    too_long = {
        "text": "t",
        "blocks": [{"type": "header", "text": {"type": "plain_text", "text": "x" * 151}}],
    }
    no_blocks = {"text": "hello"}
    bare_card = {"type": "message", "attachments": [{"contentType": "text/plain", "content": {}}]}
    with httpx.Client() as http:
        assert http.post(slack.url + slack.path, json=too_long).status_code == 400
        assert http.post(slack.url + slack.path, json=no_blocks).status_code == 400
        assert http.post(teams.url + teams.path, json=bare_card).status_code == 400
    assert slack.messages == [] and teams.messages == []


def test_a_private_chat_webhook_is_refused(rt: Runtime, admin: Headers) -> None:
    client = TestClient(create_app(rt, Settings(database_url="unused", run_scheduler=False)))
    answer = client.post(
        "/api/v1/social/accounts", json={"network": "slack", "target": "http://127.0.0.1:9/x"}, headers=admin
    )
    assert answer.status_code == 422 and answer.json()["code"] == "subscription.target_refused"
