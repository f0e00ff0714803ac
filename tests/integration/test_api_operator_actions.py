"""Operator actions that keep a launch from getting stuck: ending a cadence, correcting titles,
and a launch's SKU codes kept unique."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

import msgspec
from starlette.testclient import TestClient

from yaksok.domain.clock import SimulatedClock
from yaksok.services import upkeep
from yaksok.services.runtime import Runtime

Headers = dict[str, str]
CADENCE = {"weekdays": "daily", "at": "10:00", "titles": {"en": "Shipping update"}}


def ledger(client: TestClient) -> list[dict[str, Any]]:
    entries = [msgspec.json.decode(line) for line in client.get("/ledger").content.splitlines()]
    return [{"kind": e["kind"], **msgspec.json.decode(e["payload"])} for e in entries]


def test_an_ended_cadence_fills_no_more_slots_and_the_ledger_says_so(
    client: TestClient, admin: Headers, ipad: str, rt: Runtime, clock: SimulatedClock
) -> None:
    cadence = client.post("/api/v1/launches/ipad/cadences", json=CADENCE, headers=admin).json()

    ended = client.post(
        f"/api/v1/cadences/{cadence['id']}/end", json={"reason": "all shipped"}, headers=admin
    )

    assert ended.status_code == 200, ended.text
    assert (ended.json()["active"], ended.json()["next_slot"]) == (False, None)
    assert client.get("/api/v1/launches/ipad/cadences", headers=admin).json() == []
    assert ledger(client)[-1] | {"last_slot": None} == {
        "kind": "cadence.ended",
        "cadence": cadence["id"],
        "launch": "ipad",
        "last_slot": None,
        "reason": "all shipped",
    }
    clock.advance_to(datetime(2010, 11, 5, tzinfo=UTC))  # a week of slots later
    assert upkeep.tick(rt).published == []


def test_a_cadence_ends_without_a_body_and_only_once(client: TestClient, admin: Headers, ipad: str) -> None:
    cadence = client.post("/api/v1/launches/ipad/cadences", json=CADENCE, headers=admin).json()

    first = client.post(f"/api/v1/cadences/{cadence['id']}/end", headers=admin)
    again = client.post(f"/api/v1/cadences/{cadence['id']}/end", headers=admin)
    unknown = client.post("/api/v1/cadences/c_nope/end", headers=admin)

    assert first.status_code == 200, first.text
    assert (again.status_code, again.json()["code"]) == (409, "cadence.ended")
    assert (unknown.status_code, unknown.json()["code"]) == (404, "cadence.not_found")


def test_a_mistyped_launch_title_is_corrected_in_public_and_in_the_ledger(
    client: TestClient, admin: Headers, ipad: str
) -> None:
    titles = {"ko": "아이패드 (KT)", "en": "iPad (KT)"}

    response = client.patch("/api/v1/launches/ipad", json={"titles": titles}, headers=admin)

    assert response.status_code == 200, response.text
    assert response.json()["titles"] == titles
    assert client.get("/api/v1/launches/ipad", headers=admin).json()["titles"] == titles
    assert ledger(client)[-1] == {
        "kind": "launch.retitled",
        "launch": "ipad",
        "titles": titles,
        "previous": {"ko": "아이패드", "en": "iPad"},
    }
    assert "iPad (KT)" in client.get("/launches/ipad", headers={"Accept-Language": "en"}).text


def test_a_mistyped_milestone_title_is_corrected_and_its_promises_stay(
    client: TestClient, admin: Headers, ipad: str
) -> None:
    promise = {"time": "2010-11-09", "precision": "day"}
    client.post(f"/api/v1/milestones/{ipad}/promises", json=promise, headers=admin)

    response = client.patch(
        f"/api/v1/milestones/{ipad}", json={"titles": {"en": "Pre-orders open"}}, headers=admin
    )

    assert response.status_code == 200, response.text
    shown = client.get(f"/api/v1/milestones/{ipad}", headers=admin).json()
    assert shown["titles"] == {"en": "Pre-orders open"} and len(shown["versions"]) == 1
    assert ledger(client)[-1] == {
        "kind": "milestone.retitled",
        "milestone": ipad,
        "titles": {"en": "Pre-orders open"},
        "previous": {"ko": "예약 판매", "en": "Pre-orders"},
    }


def test_a_title_correction_that_changes_nothing_or_is_empty_is_refused_and_writes_nothing(
    client: TestClient, admin: Headers, ipad: str, ledger_head: Callable[[], int]
) -> None:
    before = ledger_head()
    cases = [
        ("/api/v1/launches/ipad", {"ko": "아이패드", "en": " iPad "}, 409, "titles.unchanged"),
        (f"/api/v1/milestones/{ipad}", {"ko": "예약 판매", "en": "Pre-orders"}, 409, "titles.unchanged"),
        ("/api/v1/launches/ipad", {"en": "  "}, 422, "invalid.text_required"),
        (f"/api/v1/milestones/{ipad}", {"fr": "Précommandes"}, 422, "invalid.language"),
        ("/api/v1/launches/nope", {"en": "Nope"}, 404, "launch.not_found"),
        ("/api/v1/milestones/ipad.nope", {"en": "Nope"}, 404, "milestone.not_found"),
    ]
    for path, titles, status, code in cases:
        response = client.patch(path, json={"titles": titles}, headers=admin)
        assert (response.status_code, response.json()["code"]) == (status, code), path

    assert ledger_head() == before


def test_only_an_editor_corrects_titles_or_ends_cadences(
    client: TestClient, admin: Headers, ipad: str, bearer: Callable[[str], Headers]
) -> None:
    viewer = bearer("viewer")
    cadence = client.post("/api/v1/launches/ipad/cadences", json=CADENCE, headers=admin).json()

    for method, path in [
        ("PATCH", "/api/v1/launches/ipad"),
        ("PATCH", f"/api/v1/milestones/{ipad}"),
        ("POST", f"/api/v1/cadences/{cadence['id']}/end"),
    ]:
        response = client.request(method, path, json={"titles": {"en": "x"}}, headers=viewer)
        assert response.status_code == 403, path


def test_a_launch_with_a_repeated_sku_code_is_refused_and_not_created(
    client: TestClient, admin: Headers, ledger_head: Callable[[], int]
) -> None:
    before = ledger_head()
    skus = [
        {"code": "wifi-16", "titles": {"en": "Wi-Fi 16 GB"}},
        {"code": "wifi-32", "titles": {"en": "Wi-Fi 32 GB"}},
        {"code": "wifi-16", "titles": {"en": "Wi-Fi 16 GB again"}},
    ]
    body = {"slug": "ipad", "titles": {"en": "iPad"}, "zone": "Asia/Seoul", "skus": skus}

    response = client.post("/api/v1/launches", json=body, headers=admin)

    assert (response.status_code, response.json()["code"]) == (422, "launch.duplicate_sku")
    assert response.json()["details"] == {"codes": ["wifi-16"]}
    assert ledger_head() == before
    assert client.get("/api/v1/launches/ipad", headers=admin).status_code == 404
