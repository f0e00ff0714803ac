"""Webhook events by type, each checked against its published JSON Schema (docs/schemas/, served
at /static/schemas/): ``promise.changed`` for a promise made or changed, ``reminder.due`` for a
reminder (milestone, promised time, offset), ``notice.published`` for any other notice; email
renders a reminder as it always did."""

from __future__ import annotations

import asyncio
import json
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from standardwebhooks.webhooks import Webhook
from starlette.testclient import TestClient
from webhook_receiver import SCHEMAS, Receiver, running_receiver, validate_event

from yaksok.config import Settings
from yaksok.domain.clock import SimulatedClock
from yaksok.domain.commands import AddMilestone, CreateLaunch, RevisePromise, WriteNotice
from yaksok.domain.launch import MilestoneKind
from yaksok.domain.notice import NoticeKind
from yaksok.services import launches, upkeep
from yaksok.services.notices import create_notice
from yaksok.services.runtime import Runtime
from yaksok.web.app import create_app
from yaksok.workers.delivery import DeliveryWorker

SETTINGS = Settings(
    database_url="unused", run_scheduler=False, webhook_allow_hosts=("127.0.0.1",), webhook_timeout=2.0
)
AT = datetime(2010, 11, 9, 11, 0, tzinfo=UTC)  # 20:00 KST
H = timedelta(hours=1)
SERVED = Path(__file__).resolve().parents[2] / "src" / "yaksok" / "web" / "static" / "schemas"


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    with running_receiver() as running:
        yield running


def deliver(rt: Runtime) -> None:
    async def run() -> None:
        worker = DeliveryWorker(rt, SETTINGS)
        try:
            await worker.fan_out()
            await worker.retry()
        finally:
            await worker.aclose()

    asyncio.run(run())


def events(receiver: Receiver, secret: str) -> list[dict[str, Any]]:
    found = []
    for headers, body in receiver.received:
        Webhook(secret).verify(body, headers)
        found.append(validate_event(body))
    receiver.received.clear()
    return found


def test_promises_reminders_and_other_notices_each_go_as_their_own_event_type(
    rt: Runtime, clock: SimulatedClock, receiver: Receiver
) -> None:
    client = TestClient(create_app(rt, SETTINGS))
    made = client.post("/subscriptions", json={"url": receiver.url, "language": "en"})
    secret = str(made.json()["secret"])
    titles = {"ko": "아이패드", "en": "iPad"}
    launches.create_launch(rt, CreateLaunch(slug="ipad", titles=titles, zone="Asia/Seoul"))
    opening = AddMilestone(
        launch_slug="ipad", key="opens", kind=MilestoneKind.CUSTOM, titles={"en": "Pre-orders open"}
    )
    opens = launches.add_milestone(rt, opening).id
    launches.revise_promise(rt, RevisePromise(opens, time="2010-11-09", precision="day"))
    launches.revise_promise(rt, RevisePromise(opens, time="2010-11-09T20:00", precision="exact"))
    hello = WriteNotice(
        kind=NoticeKind.GENERAL, titles={"en": "Hello"}, channels=("webhook",), publish_now=True
    )
    create_notice(rt, hello)
    deliver(rt)

    got = events(receiver, secret)  # sent side by side: they arrive in any order
    kinds = sorted((str(e["type"]), e["data"].get("version", 0)) for e in got)
    assert kinds == [("notice.published", 0), ("promise.changed", 1), ("promise.changed", 2)]
    first, second = (e["data"] for e in sorted(got, key=lambda e: e["data"].get("version", 0))[1:])
    assert (first["milestone"], first["version"], first["previous"]) == (opens, 1, None)
    assert first["change_kind"] is None and first["promise"]["precision"] == "day"
    assert second["promise"]["at"] == AT.isoformat() and second["previous"]["precision"] == "day"

    clock.advance_to(AT - 24 * H)
    upkeep.tick(rt)
    deliver(rt)

    [reminder] = events(receiver, secret)
    assert reminder["type"] == "reminder.due"
    data = reminder["data"]
    assert (data["milestone"], data["version"], data["offset_seconds"]) == (opens, 2, 24 * 3600)
    assert (data["promised_at"], data["due_at"], data["late"]) == (
        AT.isoformat(),
        (AT - 24 * H).isoformat(),
        False,
    )
    assert data["title"].startswith("Reminder: iPad — Pre-orders open in 24 h")


@pytest.mark.parametrize("event_type", ["notice.published", "promise.changed", "reminder.due"])
def test_each_event_schema_is_published_in_the_docs_and_served(rt: Runtime, event_type: str) -> None:
    served = TestClient(create_app(rt, SETTINGS)).get(f"/static/schemas/{event_type}.json")

    assert served.status_code == 200
    assert served.json() == json.loads((SCHEMAS / f"{event_type}.json").read_text())
    assert (SCHEMAS / f"{event_type}.json").resolve() == (SERVED / f"{event_type}.json").resolve()
    assert served.json()["properties"]["type"] == {"const": event_type}


def test_an_event_that_breaks_its_schema_is_caught() -> None:
    from jsonschema import ValidationError

    body = json.dumps({"type": "reminder.due", "timestamp": "2010-11-09T11:00:00+00:00", "data": {}})
    with pytest.raises(ValidationError):
        validate_event(body.encode())


def test_every_webhook_carries_its_own_subscribers_manage_link_which_opens_its_manage_page(
    rt: Runtime, receiver: Receiver
) -> None:
    client = TestClient(create_app(rt, SETTINGS))
    secrets = [
        str(client.post("/subscriptions", json={"url": receiver.url, "language": lang}).json()["secret"])
        for lang in ("en", "ko")
    ]
    hello = WriteNotice(
        kind=NoticeKind.GENERAL, titles={"en": "Hello", "ko": "안녕"}, channels=("webhook",), publish_now=True
    )
    create_notice(rt, hello)
    deliver(rt)

    received = list(receiver.received)
    links = set()
    for headers, body in received:
        event = validate_event(body)
        assert any(_verifies(secret, body, headers) for secret in secrets)  # signed with the link in it
        link = str(event["data"]["manage_url"])
        assert link.startswith(f"{SETTINGS.public_url.rstrip('/')}/subscriptions/manage/")
        page = client.get(link.removeprefix(SETTINGS.public_url.rstrip("/")))
        lang = event["data"]["language"]
        assert page.status_code == 200 and f'<option value="{lang}" selected>' in page.text
        links.add(link)
    assert len(received) == 2 and len(links) == 2  # each subscriber its own


def _verifies(secret: str, body: bytes, headers: dict[str, str]) -> bool:
    try:
        Webhook(secret).verify(body, headers)
    except Exception:
        return False
    return True
