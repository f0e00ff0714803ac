"""Notices through the admin API: draft → scheduled → published, corrections, clarifications."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime

import pytest
from httpx import Response
from starlette.testclient import TestClient

from yaksok.domain.clock import SimulatedClock
from yaksok.services.runtime import Runtime
from yaksok.store import tables

Headers = dict[str, str]
DRAFT = {"kind": "shipping_update", "titles": {"ko": "배송 안내", "en": "Shipping update"}, "launch": "ipad"}


def create(client: TestClient, headers: Headers, **body: object) -> Response:
    return client.post("/api/v1/notices", json={**DRAFT, **body}, headers=headers)


def test_a_notice_is_a_draft_until_scheduled_or_published(
    client: TestClient, admin: Headers, ipad: str
) -> None:
    response = create(client, admin, bodies={"en": "First batch ships on the 30th."})
    assert response.status_code == 201, response.text
    notice = response.json()
    assert notice["state"] == "draft" and notice["published_at"] is None
    assert notice["channels"] == ["board", "atom", "sse"]
    assert notice["url"] == f"http://127.0.0.1:8000/notices/{notice['id']}"
    assert client.get(f"/api/v1/notices/{notice['id']}", headers=admin).json() == notice


def test_notices_are_listed_by_state_and_launch(client: TestClient, admin: Headers, ipad: str) -> None:
    draft = create(client, admin).json()["id"]
    published = create(client, admin, publish_now=True).json()["id"]
    other = {"kind": "general", "titles": {"en": "Hello"}, "publish_now": True}
    client.post("/api/v1/notices", json=other, headers=admin)

    def ids(**query: str) -> list[str]:
        response = client.get("/api/v1/notices", params=query, headers=admin)
        assert response.status_code == 200, response.text
        return [notice["id"] for notice in response.json()]

    assert ids(state="draft") == [draft]
    assert ids(state="published", launch="ipad") == [published]
    assert len(ids()) == 3


def test_a_bad_notice_filter_is_refused(client: TestClient, admin: Headers, ipad: str) -> None:
    response = client.get("/api/v1/notices", params={"state": "gone"}, headers=admin)
    assert (response.status_code, response.json()["code"]) == (400, "request.invalid")
    response = client.get("/api/v1/notices", params={"launch": "nope"}, headers=admin)
    assert (response.status_code, response.json()["code"]) == (404, "launch.not_found")


def test_a_draft_is_edited_scheduled_unscheduled_and_published(
    client: TestClient, admin: Headers, ipad: str, clock: SimulatedClock
) -> None:
    notice = create(client, admin).json()["id"]
    path = f"/api/v1/notices/{notice}"
    edited = client.patch(path, json={"titles": {"en": "Shipping: first batch"}}, headers=admin)
    assert edited.status_code == 200, edited.text
    assert edited.json()["titles"] == {"en": "Shipping: first batch"}
    assert edited.json()["kind"] == "shipping_update"  # untouched fields stay
    scheduled = client.post(f"{path}/schedule", json={"publish_at": "2010-10-29T01:00:00Z"}, headers=admin)
    assert scheduled.json()["state"] == "scheduled"
    assert scheduled.json()["publish_at"] == "2010-10-29T01:00:00+00:00"
    assert client.post(f"{path}/unschedule", headers=admin).json()["state"] == "draft"
    clock.advance_to(datetime(2010, 10, 28, 3, 0, tzinfo=UTC))
    published = client.post(f"{path}/publish", headers=admin)
    assert published.status_code == 200
    assert published.json()["published_at"] == "2010-10-28T03:00:00+00:00"
    assert published.json()["lateness_seconds"] == 0


def test_a_published_notice_is_immutable(client: TestClient, admin: Headers, ipad: str) -> None:
    notice = create(client, admin, publish_now=True).json()["id"]
    response = client.patch(f"/api/v1/notices/{notice}", json={"titles": {"en": "Changed"}}, headers=admin)
    assert (response.status_code, response.json()["code"]) == (409, "notice.immutable")
    response = client.post(
        f"/api/v1/notices/{notice}/schedule", json={"publish_at": "2010-11-01T00:00:00Z"}, headers=admin
    )
    assert response.status_code == 409
    assert client.get(f"/api/v1/notices/{notice}", headers=admin).json()["titles"] == DRAFT["titles"]


def test_an_edit_that_breaks_a_notice_is_refused(client: TestClient, admin: Headers, ipad: str) -> None:
    notice = create(client, admin).json()["id"]
    response = client.patch(f"/api/v1/notices/{notice}", json={"channels": ["fax"]}, headers=admin)
    assert (response.status_code, response.json()["code"]) == (422, "invalid.channel")
    response = client.patch(f"/api/v1/notices/{notice}", json={"kind": "clarification"}, headers=admin)
    assert (response.status_code, response.json()["code"]) == (422, "invalid.claim")


@pytest.mark.parametrize(
    ("channels", "why"),
    [
        (["board", "ics"], "'ics' is not a notice channel: the calendar holds milestones, not notices"),
        (["fax"], "unknown channel 'fax'; a notice goes to board, atom, sse, "),
        (["Board"], "unknown channel 'Board'"),
    ],
)
def test_a_channel_a_notice_cannot_go_to_is_refused(
    client: TestClient,
    admin: Headers,
    ipad: str,
    ledger_head: Callable[[], int],
    channels: list[str],
    why: str,
) -> None:
    draft = create(client, admin).json()["id"]
    before = ledger_head()

    created = create(client, admin, channels=channels, publish_now=True)
    edited = client.patch(f"/api/v1/notices/{draft}", json={"channels": channels}, headers=admin)

    for response in (created, edited):
        assert (response.status_code, response.json()["code"]) == (422, "invalid.channel")
    assert created.json()["detail"].startswith(why)
    assert ledger_head() == before
    assert client.get(f"/api/v1/notices/{draft}", headers=admin).json()["channels"] == [
        "board",
        "atom",
        "sse",
    ]


def test_a_notice_stored_with_the_calendar_as_a_channel_is_shown_without_it(
    client: TestClient, admin: Headers, ipad: str, rt: Runtime
) -> None:
    notice = create(client, admin).json()["id"]
    with rt.store.engine.begin() as connection:  # as notices were stored before
        stored = tables.notices.update().where(tables.notices.c.id == notice)
        connection.execute(stored.values(channels=["board", "atom", "ics", "sse"]))

    assert client.get(f"/api/v1/notices/{notice}", headers=admin).json()["channels"] == [
        "board",
        "atom",
        "sse",
    ]
    published = client.post(f"/api/v1/notices/{notice}/publish", headers=admin)
    assert published.status_code == 200, published.text
    assert published.json()["channels"] == ["board", "atom", "sse"]


def test_a_notice_cannot_be_scheduled_in_the_past(client: TestClient, admin: Headers, ipad: str) -> None:
    response = create(client, admin, publish_at="2010-10-27T00:00:00Z")
    assert (response.status_code, response.json()["code"]) == (422, "notice.in_past")


def test_a_correction_supersedes_a_published_notice(
    client: TestClient, admin: Headers, ipad: str, ledger_head: Callable[[], int]
) -> None:
    old = create(client, admin, publish_now=True).json()["id"]
    correction = {"kind": "shipping_update", "titles": {"en": "Shipping update (corrected)"}}
    response = client.post(f"/api/v1/notices/{old}/supersede", json=correction, headers=admin)
    assert response.status_code == 201, response.text
    new = response.json()
    assert new["supersedes"] == old and new["state"] == "published" and new["launch"] == "ipad"
    draft = create(client, admin).json()["id"]
    before = ledger_head()
    response = client.post(f"/api/v1/notices/{draft}/supersede", json=correction, headers=admin)
    assert (response.status_code, response.json()["code"]) == (409, "notice.not_published")
    assert ledger_head() == before


def test_a_clarification_answers_a_claim_with_a_verdict_at_once(
    client: TestClient, admin: Headers, ipad: str
) -> None:
    body = {
        "claim": {
            "text": "Pre-orders open at 09:00",
            "verdict": "false",
            "source_url": "https://news.example/1",
        },
        "titles": {"en": "Pre-orders do not open at 09:00"},
        "launch": "ipad",
        "milestones": [ipad],
    }
    response = client.post("/api/v1/clarifications", json=body, headers=admin)
    assert response.status_code == 201, response.text
    notice = response.json()
    assert notice["kind"] == "clarification" and notice["state"] == "published"
    assert notice["claim"] == body["claim"]


def test_links_to_unknown_things_are_404(client: TestClient, admin: Headers, ipad: str) -> None:
    cases = [
        ({"launch": "nope"}, "launch.not_found"),
        ({"milestones": ["ipad.nope"]}, "milestone.not_found"),
        ({"cadence": "c_9999"}, "cadence.not_found"),
        ({"supersedes": "n_9999"}, "notice.not_found"),
    ]
    for link, code in cases:
        response = create(client, admin, **link)
        assert (response.status_code, response.json()["code"]) == (404, code), link
    for method, suffix in [("GET", ""), ("PATCH", ""), ("POST", "/publish"), ("POST", "/unschedule")]:
        response = client.request(method, f"/api/v1/notices/n_9999{suffix}", json={}, headers=admin)
        assert (response.status_code, response.json()["code"]) == (404, "notice.not_found"), (method, suffix)
