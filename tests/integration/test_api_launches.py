"""Launches, milestones and promises through the admin API."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime

import msgspec
import pytest
from httpx import Response
from starlette.testclient import TestClient

from yaksok.domain.clock import SimulatedClock

Headers = dict[str, str]


def promise(client: TestClient, headers: Headers, milestone: str, **body: object) -> Response:
    return client.post(f"/api/v1/milestones/{milestone}/promises", json=body, headers=headers)


def ledger_kinds(client: TestClient) -> list[str]:
    return [msgspec.json.decode(line)["kind"] for line in client.get("/ledger").content.split(b"\n") if line]


def test_a_created_launch_is_listed_and_shown_with_its_milestones(
    client: TestClient, admin: Headers, ipad: str
) -> None:
    listed = client.get("/api/v1/launches", headers=admin).json()
    assert [launch["slug"] for launch in listed] == ["ipad"]
    shown = client.get("/api/v1/launches/ipad", headers=admin).json()
    assert shown["zone"] == "Asia/Seoul" and shown["market"] == "KR"
    assert shown["policy"]["min_lead_hours"] == 72
    assert [m["id"] for m in shown["milestones"]] == [ipad] == ["ipad.preorder"]
    assert shown["milestones"][0]["promise"] is None


def test_a_launch_policy_can_be_set_field_by_field(client: TestClient, admin: Headers) -> None:
    body = {"slug": "pad", "titles": {"en": "Pad"}, "zone": "UTC", "policy": {"min_lead_hours": 1}}
    policy = client.post("/api/v1/launches", json=body, headers=admin).json()["policy"]
    assert policy["min_lead_hours"] == 1 and policy["min_change_lead_hours"] == 24


def test_a_second_launch_with_the_same_slug_is_a_conflict(
    client: TestClient, admin: Headers, ipad: str
) -> None:
    body = {"slug": "ipad", "titles": {"en": "Again"}, "zone": "UTC"}
    response = client.post("/api/v1/launches", json=body, headers=admin)
    assert response.status_code == 409
    assert response.json()["code"] == "launch.exists"


@pytest.mark.parametrize(
    "zone", ["Moon/Tranquility_Base", "Asia", "Asia/" + "x" * 300, "../../etc/passwd", ""]
)
def test_an_unknown_time_zone_is_refused_and_nothing_is_written(
    client: TestClient, admin: Headers, ledger_head: Callable[[], int], zone: str
) -> None:
    before = ledger_head()
    body = {"slug": "moon", "titles": {"en": "Moon"}, "zone": zone}
    response = client.post("/api/v1/launches", json=body, headers=admin)
    assert response.status_code == 422
    assert response.json()["code"] == "time.unknown_zone"
    assert ledger_head() == before
    assert client.get("/api/v1/launches/moon", headers=admin).status_code == 404


def test_unknown_launches_and_milestones_are_404_with_their_own_codes(
    client: TestClient, admin: Headers
) -> None:
    cases = {
        "/api/v1/launches/nope": "launch.not_found",
        "/api/v1/launches/nope/cadences": "launch.not_found",
        "/api/v1/milestones/nope.preorder": "milestone.not_found",
        "/api/v1/milestones/%00": "milestone.not_found",
    }
    for path, code in cases.items():
        response = client.get(path, headers=admin)
        assert (response.status_code, response.json()["code"]) == (404, code), path
    body = {"key": "k", "kind": "custom", "titles": {"en": "K"}}
    response = client.post("/api/v1/launches/nope/milestones", json=body, headers=admin)
    assert response.json()["code"] == "launch.not_found"


def test_a_promise_is_shown_as_an_instant_a_wall_time_and_the_words_every_channel_uses(
    client: TestClient, admin: Headers, ipad: str
) -> None:
    response = promise(client, admin, ipad, time="2010-11-09T20:00", precision="exact")
    assert response.status_code == 201, response.text
    made = response.json()["version"]["promise"]
    assert made == {
        "at": "2010-11-09T11:00:00+00:00",
        "zone": "Asia/Seoul",
        "precision": "exact",
        "local": "2010-11-09T20:00:00+09:00",
        "described": "2010-11-09 20:00 KST (11:00 UTC)",
        "described_ko": "2010-11-09 20:00 KST (11:00 UTC)",
    }
    notice = response.json()["notice"]
    assert notice["state"] == "published" and notice["kind"] == "announcement"
    assert notice["milestones"] == [ipad]
    assert client.get(f"/api/v1/milestones/{ipad}", headers=admin).json()["promise"] == made


def test_a_day_promise_says_the_time_is_not_announced(client: TestClient, admin: Headers, ipad: str) -> None:
    made = promise(client, admin, ipad, time="2010-11-09", precision="day").json()["version"]["promise"]
    assert made["precision"] == "day"
    assert made["described"] == "2010-11-09 (time not announced)"
    assert made["described_ko"] == "2010-11-09 (시간 미정)"


def test_a_wall_time_skipped_by_daylight_saving_is_refused(
    client: TestClient, admin: Headers, ledger_head: Callable[[], int]
) -> None:
    launch = {
        "slug": "nyc",
        "titles": {"en": "NYC"},
        "zone": "America/New_York",
        "policy": {"min_lead_hours": 0},
    }
    client.post("/api/v1/launches", json=launch, headers=admin)
    client.post(
        "/api/v1/launches/nyc/milestones",
        json={"key": "open", "kind": "custom", "titles": {"en": "Open"}},
        headers=admin,
    )
    before = ledger_head()
    response = promise(client, admin, "nyc.open", time="2026-03-08T02:30", precision="exact")
    assert response.status_code == 422
    assert response.json()["code"] == "time.nonexistent"
    response = promise(client, admin, "nyc.open", time="2026-11-01T01:30", precision="exact")
    assert response.json()["code"] == "time.ambiguous"
    assert ledger_head() == before
    assert client.get("/api/v1/milestones/nyc.open", headers=admin).json()["versions"] == []


def test_a_time_that_cannot_be_read_is_refused(client: TestClient, admin: Headers, ipad: str) -> None:
    for text, code in [("2010-11-31T20:00", "time.invalid"), ("9999-01-01", "request.invalid")]:
        response = promise(client, admin, ipad, time=text, precision="exact")
        assert (response.status_code, response.json()["code"]) == (422, code), text


def test_a_late_promise_is_refused_with_every_broken_rule_and_changes_nothing(
    client: TestClient, admin: Headers, ipad: str, ledger_head: Callable[[], int], clock: SimulatedClock
) -> None:
    promise(client, admin, ipad, time="2010-11-09", precision="day")
    clock.advance_to(datetime(2010, 11, 9, 7, 0, tzinfo=UTC))  # 16:00 KST on the day
    before = ledger_head()
    response = promise(client, admin, ipad, time="2010-11-19T20:00", precision="exact")
    assert response.status_code == 422
    problem = response.json()
    assert problem["code"] == "policy.reason_required"
    assert problem["details"]["rules"] == ["policy.reason_required", "policy.late_change"]
    assert ledger_head() == before
    assert len(client.get(f"/api/v1/milestones/{ipad}", headers=admin).json()["versions"]) == 1


def test_an_override_publishes_the_change_with_its_justification_on_the_notice_and_in_the_ledger(
    client: TestClient, admin: Headers, ipad: str, clock: SimulatedClock
) -> None:
    promise(client, admin, ipad, time="2010-11-09", precision="day")
    clock.advance_to(datetime(2010, 11, 9, 7, 0, tzinfo=UTC))
    refused = promise(client, admin, ipad, time="2010-11-09T20:00", precision="exact")
    assert refused.json()["details"]["rules"] == ["policy.lead_time"]
    why = "The press announced 09:00; we name the exact time now rather than stay silent."
    response = promise(client, admin, ipad, time="2010-11-09T20:00", precision="exact", override=why)
    assert response.status_code == 201, response.text
    notice = response.json()["notice"]
    assert notice["overridden"] == ["policy.lead_time"] and notice["justification"] == {"en": why}
    assert response.json()["version"]["change_kind"] == "clarify"
    shown = client.get(f"/api/v1/notices/{notice['id']}", headers=admin).json()
    assert shown["justification"] == {"en": why}
    entries = [msgspec.json.decode(line) for line in client.get("/ledger").content.split(b"\n") if line]
    overrides = [msgspec.json.decode(e["payload"]) for e in entries if e["kind"] == "policy.override"]
    assert overrides == [
        {
            "justification": {"en": why},
            "milestone": ipad,
            "notice": notice["id"],
            "rules": ["policy.lead_time"],
            "version": 2,
        }
    ]


def test_a_blank_override_is_no_override(client: TestClient, admin: Headers, ipad: str) -> None:
    response = promise(client, admin, ipad, time="2010-10-29T20:00", precision="exact", override="   ")
    assert response.status_code == 422
    assert response.json()["code"] == "policy.lead_time"


def test_cancelling_a_milestone_announces_it_with_the_reason(
    client: TestClient, admin: Headers, ipad: str
) -> None:
    promise(client, admin, ipad, time="2010-11-09T20:00", precision="exact")
    response = client.post(f"/api/v1/milestones/{ipad}/cancel", json={"reason": "No stock"}, headers=admin)
    assert response.status_code == 201, response.text
    assert response.json()["version"]["change_kind"] == "cancel"
    assert response.json()["notice"]["kind"] == "change"
    assert client.get(f"/api/v1/milestones/{ipad}", headers=admin).json()["cancelled"] is True
    again = client.post(f"/api/v1/milestones/{ipad}/cancel", json={"reason": "x"}, headers=admin)
    assert (again.status_code, again.json()["code"]) == (409, "milestone.cancelled")


def test_a_reason_and_override_are_taken_per_language_or_as_one_english_string(
    client: TestClient, admin: Headers, ipad: str, clock: SimulatedClock
) -> None:
    promise(client, admin, ipad, time="2010-11-09", precision="day")
    clock.advance_to(datetime(2010, 11, 9, 7, 0, tzinfo=UTC))
    reason = {"ko": "공급사와의 가격 협상", "en": "the price with our supplier"}
    both = promise(
        client, admin, ipad, time="2010-11-09T20:00", precision="exact", reason=reason, override=reason
    )
    assert both.status_code == 201, both.text
    assert both.json()["version"]["reason"] == reason and both.json()["notice"]["justification"] == reason
    assert "사유: 공급사와의 가격 협상" in both.json()["notice"]["bodies"]["ko"]

    unknown = client.post(f"/api/v1/milestones/{ipad}/cancel", json={"reason": {"fr": "x"}}, headers=admin)
    assert (unknown.status_code, unknown.json()["code"]) == (422, "invalid.language")
    plain = client.post(
        f"/api/v1/milestones/{ipad}/cancel",
        json={"reason": "No stock", "override": "Too late"},
        headers=admin,
    )
    assert plain.status_code == 201, plain.text
    version = plain.json()["version"]
    assert (version["reason"], version["justification"]) == ({"en": "No stock"}, {"en": "Too late"})


def test_an_occurrence_is_recorded_once_and_never_in_the_future(
    client: TestClient, admin: Headers, ipad: str, clock: SimulatedClock
) -> None:
    path = f"/api/v1/milestones/{ipad}/occurrence"
    future = client.post(path, json={"at": "2010-10-29T00:00:00Z"}, headers=admin)
    assert (future.status_code, future.json()["code"]) == (422, "occurrence.in_future")
    clock.advance_to(datetime(2010, 11, 9, 11, 1, tzinfo=UTC))
    response = client.post(path, headers=admin)  # no body: now
    assert response.status_code == 201, response.text
    assert response.json()["occurrence"]["at"] == "2010-11-09T11:01:00+00:00"
    assert client.post(path, json={"note": "again"}, headers=admin).status_code == 409
    assert "milestone.occurred" in ledger_kinds(client)


def test_a_cadence_is_created_and_listed_with_its_next_slot(
    client: TestClient, admin: Headers, ipad: str
) -> None:
    body = {"weekdays": "weekdays", "at": "10:00", "titles": {"en": "Shipping update"}}
    response = client.post("/api/v1/launches/ipad/cadences", json=body, headers=admin)
    assert response.status_code == 201, response.text
    listed = client.get("/api/v1/launches/ipad/cadences", headers=admin).json()
    assert listed == [response.json()]
    assert listed[0]["weekdays"] == ["mon", "tue", "wed", "thu", "fri"]
    assert listed[0]["next_slot"] == "2010-10-28T01:00:00+00:00"  # Thursday 10:00 KST
    assert listed[0]["kind"] == "shipping_update"


def test_a_cadence_with_unreadable_days_is_refused(client: TestClient, admin: Headers, ipad: str) -> None:
    body = {"weekdays": "someday", "at": "10:00", "titles": {"en": "Update"}}
    response = client.post("/api/v1/launches/ipad/cadences", json=body, headers=admin)
    assert (response.status_code, response.json()["code"]) == (422, "cadence.invalid")
