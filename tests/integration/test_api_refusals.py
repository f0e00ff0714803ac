"""What used to be accepted without a word is refused with a stable code, and nothing is written."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from httpx import Response
from starlette.testclient import TestClient

Headers = dict[str, str]


def promise(client: TestClient, headers: Headers, milestone: str, **body: object) -> Response:
    return client.post(f"/api/v1/milestones/{milestone}/promises", json=body, headers=headers)


def versions(client: TestClient, headers: Headers, milestone: str) -> int:
    return len(client.get(f"/api/v1/milestones/{milestone}", headers=headers).json()["versions"])


def test_an_override_when_no_rule_is_broken_is_refused_and_nothing_is_published(
    client: TestClient, admin: Headers, ipad: str, ledger_head: Callable[[], int]
) -> None:
    before = ledger_head()

    response = promise(client, admin, ipad, time="2010-11-09", precision="day", override="just in case")

    assert (response.status_code, response.json()["code"]) == (422, "override.not_needed")
    assert ledger_head() == before
    assert versions(client, admin, ipad) == 0


def test_cancelling_with_an_override_that_nothing_needs_is_refused(
    client: TestClient, admin: Headers, ipad: str
) -> None:
    promise(client, admin, ipad, time="2010-11-20", precision="day")

    body = {"reason": "No stock", "override": "sorry"}
    response = client.post(f"/api/v1/milestones/{ipad}/cancel", json=body, headers=admin)

    assert (response.status_code, response.json()["code"]) == (422, "override.not_needed")
    assert client.get(f"/api/v1/milestones/{ipad}", headers=admin).json()["cancelled"] is False


@pytest.mark.parametrize(
    ("time", "precision"),
    [
        ("2010-11-09", "exact"),  # used to become 00:00
        ("2010-11-09T20:00", "day"),  # used to lose its 20:00
        ("2010-11-09", "month"),  # used to lose its 9th
    ],
)
def test_a_time_written_at_another_precision_is_refused_and_nothing_is_published(
    client: TestClient, admin: Headers, ipad: str, ledger_head: Callable[[], int], time: str, precision: str
) -> None:
    before = ledger_head()

    response = promise(client, admin, ipad, time=time, precision=precision)

    assert (response.status_code, response.json()["code"]) == (422, "promise.precision_mismatch")
    assert time in response.json()["detail"]
    assert ledger_head() == before
    assert versions(client, admin, ipad) == 0


def test_re_sending_the_current_promise_is_refused_without_a_notice(
    client: TestClient, admin: Headers, ipad: str, ledger_head: Callable[[], int]
) -> None:
    assert promise(client, admin, ipad, time="2010-11-09T20:00", precision="exact").status_code == 201
    before = ledger_head()

    again = promise(client, admin, ipad, time="2010-11-09T11:00:00Z", precision="exact", reason="again")

    assert (again.status_code, again.json()["code"]) == (409, "promise.unchanged")
    assert ledger_head() == before
    assert versions(client, admin, ipad) == 1
    published = client.get("/api/v1/notices", params={"state": "published"}, headers=admin).json()
    assert len(published) == 1


def test_the_same_day_named_again_with_its_time_is_a_change_not_a_repeat(
    client: TestClient, admin: Headers, ipad: str
) -> None:
    promise(client, admin, ipad, time="2010-11-09", precision="day")

    response = promise(client, admin, ipad, time="2010-11-09T20:00", precision="exact")

    assert response.status_code == 201, response.text


def test_publish_now_with_a_publish_at_is_refused_rather_than_ignoring_the_time(
    client: TestClient, admin: Headers, ipad: str, ledger_head: Callable[[], int]
) -> None:
    before = ledger_head()
    body = {
        "kind": "shipping_update",
        "titles": {"en": "Shipping update"},
        "launch": "ipad",
        "publish_now": True,
        "publish_at": "2010-11-01T01:00:00Z",
    }

    response = client.post("/api/v1/notices", json=body, headers=admin)

    assert (response.status_code, response.json()["code"]) == (422, "notice.publish_now_with_publish_at")
    assert ledger_head() == before
    assert client.get("/api/v1/notices", headers=admin).json() == []
