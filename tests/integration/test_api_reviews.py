"""Two-person review through the admin API, on SQLite and PostgreSQL: on a launch under review an
editor's promise change or notice waits (202) until another operator approves it; the ledger
says it was reviewed and the audit trail says by whom."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

import msgspec
import pytest
from starlette.testclient import TestClient

from yaksok.domain.clock import SimulatedClock
from yaksok.services import audit_trail, cadences, notices
from yaksok.services.runtime import Runtime

Headers = dict[str, str]
CHANGE = {"time": "2010-11-09T20:00", "precision": "exact", "reason": {"en": "Stock arrived"}}


def ledger(client: TestClient) -> list[dict[str, Any]]:
    entries = [msgspec.json.decode(line) for line in client.get("/ledger").content.splitlines()]
    return [{**msgspec.json.decode(e["payload"]), "kind": e["kind"]} for e in entries]


@pytest.fixture
def reviewed(client: TestClient, admin: Headers, ipad: str) -> str:
    """The iPad launch under review; its milestone id."""
    response = client.put("/api/v1/launches/ipad/review", json={"required": True}, headers=admin)
    assert response.status_code == 200, response.text
    assert response.json()["policy"]["review_required"] is True
    return ipad


def test_setting_review_is_in_the_ledger_once_and_for_admins_only(
    client: TestClient, admin: Headers, bearer: Callable[[str], Headers], ipad: str
) -> None:
    refused = client.put("/api/v1/launches/ipad/review", json={"required": True}, headers=bearer("editor"))
    set_on = client.put("/api/v1/launches/ipad/review", json={"required": True}, headers=admin)
    again = client.put("/api/v1/launches/ipad/review", json={"required": True}, headers=admin)

    assert (refused.status_code, refused.json()["code"]) == (403, "auth.forbidden")
    assert set_on.status_code == again.status_code == 200
    assert [e for e in ledger(client) if e["kind"] == "launch.review_set"] == [
        {"kind": "launch.review_set", "launch": "ipad", "review_required": True, "previous": False}
    ]


def test_an_editors_promise_waits_and_the_proposer_cannot_approve_it(
    client: TestClient, bearer: Callable[[str], Headers], reviewed: str
) -> None:
    editor = bearer("editor")
    before = ledger(client)

    held = client.post(f"/api/v1/milestones/{reviewed}/promises", json=CHANGE, headers=editor)
    own = client.post(f"/api/v1/proposals/{held.json()['id']}/approve", headers=editor)

    assert held.status_code == 202, held.text
    assert held.json()["state"] == "pending" and held.json()["yours"] is True
    assert held.json()["action"] == "promise.revise"
    assert (own.status_code, own.json()["code"]) == (409, "review.own_proposal")
    assert ledger(client) == before  # nothing public happened
    assert client.get(f"/api/v1/milestones/{reviewed}", headers=editor).json()["promise"] is None
    pending = client.get("/api/v1/proposals", params={"state": "pending"}, headers=editor).json()
    assert [p["id"] for p in pending] == [held.json()["id"]]


def test_another_editors_approval_publishes_with_the_review_in_ledger_and_audit(
    client: TestClient, bearer: Callable[[str], Headers], reviewed: str, rt: Runtime
) -> None:
    proposer, reviewer = bearer("editor"), bearer("editor")
    held = client.post(f"/api/v1/milestones/{reviewed}/promises", json=CHANGE, headers=proposer).json()

    approved = client.post(f"/api/v1/proposals/{held['id']}/approve", headers=reviewer)
    twice = client.post(f"/api/v1/proposals/{held['id']}/approve", headers=reviewer)

    assert approved.status_code == 200, approved.text
    assert (approved.json()["state"], approved.json()["yours"]) == ("approved", False)
    notice_id = approved.json()["notice"]
    assert client.get(f"/api/v1/notices/{notice_id}", headers=reviewer).json()["state"] == "published"
    assert client.get(f"/api/v1/milestones/{reviewed}", headers=reviewer).json()["promise"] is not None
    assert (twice.status_code, twice.json()["code"]) == (409, "review.not_pending")
    acts = {e["kind"]: e for e in ledger(client)}
    assert acts["promise.made"]["reviewed"] == {"proposal": held["id"]}
    assert acts["notice.published"]["reviewed"] == {"proposal": held["id"]}
    trail = {e.action: e for e in audit_trail.trail(rt)}
    operators = {trail["proposal.made"].actor, trail["proposal.approved"].actor}
    assert not any(str(operator) in str(ledger(client)) for operator in operators)  # not public
    decision = trail["proposal.approved"]
    assert decision.details["proposed_by"] == trail["proposal.made"].actor != decision.actor
    assert decision.details["approved_by"] == decision.actor == trail["notice.published"].actor


def test_a_policy_refusal_at_approval_is_422_and_the_proposal_stays_pending(
    client: TestClient, bearer: Callable[[str], Headers], reviewed: str, clock: SimulatedClock
) -> None:
    held = client.post(
        f"/api/v1/milestones/{reviewed}/promises", json=CHANGE, headers=bearer("editor")
    ).json()
    clock.advance_to(datetime(2010, 11, 8, tzinfo=UTC))  # now less than 72 h before 20:00 KST
    reviewer = bearer("editor")

    refused = client.post(f"/api/v1/proposals/{held['id']}/approve", headers=reviewer)

    assert (refused.status_code, refused.json()["code"]) == (422, "policy.lead_time")
    assert client.get(f"/api/v1/proposals/{held['id']}", headers=reviewer).json()["state"] == "pending"
    assert client.get(f"/api/v1/milestones/{reviewed}", headers=reviewer).json()["promise"] is None


def test_a_rejected_notice_publishes_nothing_and_stays_a_draft(
    client: TestClient, bearer: Callable[[str], Headers], reviewed: str
) -> None:
    body = {"kind": "general", "titles": {"en": "Opening hours"}, "launch": "ipad", "publish_now": True}
    editor, reviewer = bearer("editor"), bearer("editor")
    before = ledger(client)

    held = client.post("/api/v1/notices", json=body, headers=editor)
    rejected = client.post(
        f"/api/v1/proposals/{held.json()['id']}/reject", json={"reason": "wrong hours"}, headers=reviewer
    )
    late = client.post(f"/api/v1/proposals/{held.json()['id']}/approve", headers=reviewer)

    assert held.status_code == 202, held.text
    assert (rejected.status_code, rejected.json()["state"]) == (200, "rejected")
    assert rejected.json()["reason"] == "wrong hours"
    assert (late.status_code, late.json()["code"]) == (409, "review.not_pending")
    draft = client.get(f"/api/v1/notices/{held.json()['notice']}", headers=editor).json()
    assert draft["state"] == "draft"
    assert ledger(client) == before


def test_an_approved_publication_of_a_draft_edited_since_is_refused(
    client: TestClient, bearer: Callable[[str], Headers], reviewed: str
) -> None:
    editor, reviewer = bearer("editor"), bearer("editor")
    body = {"kind": "general", "titles": {"en": "Opening hours"}, "launch": "ipad"}
    draft = client.post("/api/v1/notices", json=body, headers=editor).json()
    held = client.post(f"/api/v1/notices/{draft['id']}/publish", headers=editor).json()
    client.patch(f"/api/v1/notices/{draft['id']}", json={"titles": {"en": "Closed"}}, headers=editor)

    refused = client.post(f"/api/v1/proposals/{held['id']}/approve", headers=reviewer)

    assert (refused.status_code, refused.json()["code"]) == (409, "review.notice_changed")
    assert client.get(f"/api/v1/notices/{draft['id']}", headers=editor).json()["state"] == "draft"


def test_an_approved_schedule_is_published_by_the_scheduler_without_another_review(
    client: TestClient, bearer: Callable[[str], Headers], reviewed: str, rt: Runtime, clock: SimulatedClock
) -> None:
    editor, reviewer = bearer("editor"), bearer("editor")
    body = {
        "kind": "general",
        "titles": {"en": "Doors open"},
        "launch": "ipad",
        "publish_at": "2010-11-01T00:00:00Z",
        # Another offset than the store's UTC: the same instant must still match on approval.
        "next_update_at": "2010-11-02T09:00:00+09:00",
    }
    response = client.post("/api/v1/notices", json=body, headers=editor)
    assert response.status_code == 202, response.text
    held = response.json()
    approved = client.post(f"/api/v1/proposals/{held['id']}/approve", headers=reviewer).json()
    assert client.get(f"/api/v1/notices/{approved['notice']}", headers=editor).json()["state"] == "scheduled"

    clock.advance_to(datetime(2010, 11, 1, tzinfo=UTC))
    published = notices.publish_due(rt)

    assert [n.id for n in published] == [approved["notice"]]
    assert ledger(client)[-1]["kind"] == "notice.published"
    assert "reviewed" not in ledger(client)[-1]  # the scheduler published it; the schedule was reviewed


def test_a_launch_without_review_publishes_at_once_as_before(
    client: TestClient, bearer: Callable[[str], Headers], ipad: str
) -> None:
    editor = bearer("editor")

    made = client.post(f"/api/v1/milestones/{ipad}/promises", json=CHANGE, headers=editor)

    assert made.status_code == 201, made.text
    assert made.json()["notice"]["state"] == "published"
    assert "reviewed" not in ledger(client)[-1]
    assert client.get("/api/v1/proposals", headers=editor).json() == []


def test_an_unknown_proposal_is_404(client: TestClient, bearer: Callable[[str], Headers]) -> None:
    editor = bearer("editor")
    for response in (
        client.get("/api/v1/proposals/p_nope", headers=editor),
        client.post("/api/v1/proposals/p_nope/approve", headers=editor),
        client.post("/api/v1/proposals/p_nope/reject", json={"reason": "x"}, headers=editor),
    ):
        assert (response.status_code, response.json()["code"]) == (404, "proposal.not_found")


def test_a_notice_written_for_a_cadence_goes_out_at_its_slot_only_once_approved(
    client: TestClient, bearer: Callable[[str], Headers], reviewed: str, rt: Runtime, clock: SimulatedClock
) -> None:
    editor, reviewer = bearer("editor"), bearer("editor")
    cadence = {"weekdays": "daily", "at": "10:00", "titles": {"en": "Shipping update"}}
    made = client.post("/api/v1/launches/ipad/cadences", json=cadence, headers=editor).json()
    body = {"kind": "shipping_update", "titles": {"en": "Boxes"}, "launch": "ipad", "cadence": made["id"]}

    unapproved = client.post("/api/v1/notices", json=body, headers=editor)
    clock.advance_to(datetime(2010, 10, 28, 1, 0, tzinfo=UTC))  # 10:00 KST: the first slot
    first = cadences.run_cadences(rt)

    assert unapproved.status_code == 202, unapproved.text
    assert unapproved.json()["action"] == "notice.schedule"
    assert len(first) == 1 and first[0].id != unapproved.json()["notice"]  # the "no change" notice
    draft = client.get(f"/api/v1/notices/{unapproved.json()['notice']}", headers=editor).json()
    assert draft["state"] == "draft"

    held = client.post("/api/v1/notices", json=body, headers=editor).json()
    approved = client.post(f"/api/v1/proposals/{held['id']}/approve", headers=reviewer)
    clock.advance_to(datetime(2010, 10, 29, 1, 0, tzinfo=UTC))  # the next slot
    second = cadences.run_cadences(rt)

    assert approved.status_code == 200, approved.text
    assert [n.id for n in second] == [held["notice"]]
