"""Reservations through HTTP: the pre-order's opening rule, limits, caps, idempotency, lookup."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from starlette.testclient import TestClient

from yaksok.config import Settings
from yaksok.domain.clock import SimulatedClock
from yaksok.domain.commands import Reserve
from yaksok.services.runtime import Runtime
from yaksok.web.app import create_app
from yaksok.web.errors import TooManyRequests
from yaksok.web.group_commit import Reply, Writer
from yaksok.web.rate_limit import RateLimit

Headers = dict[str, str]

OPENS = datetime(2010, 11, 9, 11, 0, tzinfo=UTC)  # 20:00 in Seoul


@pytest.fixture
def launch(client: TestClient, admin: Headers) -> str:
    """A launch whose pre-order opens at 2010-11-09 20:00 Seoul time; 2 units per customer."""
    body = {
        "slug": "ipad",
        "titles": {"en": "iPad"},
        "zone": "Asia/Seoul",
        "skus": [{"code": "wifi-16", "cap": 3}, {"code": "3g-64"}],
        "per_customer_limit": 2,
    }
    assert client.post("/api/v1/launches", json=body, headers=admin).status_code == 201
    milestone = {"key": "preorder", "kind": "preorder_opens", "titles": {"en": "Pre-orders"}}
    made = client.post("/api/v1/launches/ipad/milestones", json=milestone, headers=admin)
    promised = {"time": "2010-11-09T20:00", "precision": "exact"}
    response = client.post(f"/api/v1/milestones/{made.json()['id']}/promises", json=promised, headers=admin)
    assert response.status_code == 201, response.text
    return "ipad"


@pytest.fixture
def opened(launch: str, clock: SimulatedClock) -> str:
    clock.advance_to(OPENS)
    return launch


def reserve(client: TestClient, key: str | None = "k1", slug: str = "ipad", **fields: Any) -> Any:
    body = {"sku": "wifi-16", "quantity": 1, "contact": "min@example.com", **fields}
    headers = {} if key is None else {"Idempotency-Key": key}
    return client.post(f"/launches/{slug}/reservations", json=body, headers=headers)


def test_before_the_opening_the_refusal_states_the_time_in_seoul_and_utc_and_links_the_launch(
    client: TestClient, launch: str
) -> None:
    response = reserve(client)

    assert response.status_code == 409
    assert response.headers["content-type"] == "application/problem+json"
    problem = response.json()
    assert problem["code"] == "preorder.not_open"
    assert problem["details"]["opens_at"] == "2010-11-09T11:00:00+00:00"
    assert problem["details"]["opens_at_local"] == "2010-11-09T20:00:00+09:00"
    assert problem["details"]["launch_page"] == "/launches/ipad"


def test_a_day_only_opening_never_opens_the_pre_order(
    client: TestClient, admin: Headers, clock: SimulatedClock
) -> None:
    client.post(
        "/api/v1/launches",
        json={"slug": "tab", "titles": {"en": "Tab"}, "zone": "Asia/Seoul", "skus": [{"code": "a"}]},
        headers=admin,
    )
    made = client.post(
        "/api/v1/launches/tab/milestones",
        json={"key": "p", "kind": "preorder_opens", "titles": {"en": "P"}},
        headers=admin,
    )
    client.post(
        f"/api/v1/milestones/{made.json()['id']}/promises",
        json={"time": "2010-11-09", "precision": "day"},
        headers=admin,
    )
    clock.advance_to(OPENS + timedelta(days=1))

    response = reserve(client, slug="tab", sku="a")

    assert response.status_code == 409 and response.json()["code"] == "preorder.not_open"
    assert "exact" in response.json()["detail"]


def test_once_open_each_reservation_gets_the_next_place_and_the_opening_is_recorded_as_promised(
    client: TestClient, admin: Headers, opened: str, clock: SimulatedClock
) -> None:
    clock.advance(timedelta(seconds=3))
    first = reserve(client, "k1", contact="a@example.com")
    second = reserve(client, "k2", contact="b@example.com")

    assert first.status_code == second.status_code == 201
    assert (first.json()["sequence"], second.json()["sequence"]) == (1, 2)
    assert (
        first.json()["state"] == "queued"
        and first.headers["location"] == f"/reservations/{first.json()['code']}"
    )
    milestone = client.get("/api/v1/milestones/ipad.preorder", headers=admin).json()
    assert milestone["occurrence"]["at"].startswith("2010-11-09T11:00:00")
    # Codes of one launch share its tag and end in the sequence, so they follow each other in
    # the code index (a batch's inserts stay on a page or two); the tag is not the slug.
    codes = first.json()["code"], second.json()["code"]
    assert codes[0][:10] == codes[1][:10] and codes[0] != codes[1]
    assert [code[10:] for code in codes] == ["000001", "000002"]
    assert all(re.fullmatch(r"r[0-9a-f]{15}", code) and "ipad" not in code for code in codes)


def test_the_opening_is_announced_once_on_every_channel_a_promise_goes_to(
    client: TestClient, admin: Headers, opened: str, clock: SimulatedClock
) -> None:
    clock.advance(timedelta(seconds=3))
    for n in range(3):
        assert reserve(client, f"k{n}", contact=f"{n}@example.com").status_code == 201

    listed = client.get("/api/v1/notices?launch=ipad", headers=admin).json()
    [opening] = [n for n in listed if n["id"].startswith("opening-")]
    assert opening["state"] == "published" and opening["milestones"] == ["ipad.preorder"]
    assert {"board", "atom", "email", "webhook", "webpush", "mastodon"} <= set(opening["channels"])
    assert "pre-orders are open — 2010-11-09 20:00 KST (11:00 UTC)" in opening["titles"]["en"]
    assert "pre-orders are open" in client.get("/?lang=en").text


def test_the_same_key_and_body_replays_the_original_answer(client: TestClient, opened: str) -> None:
    first = reserve(client, "same")
    again = reserve(client, '"same"')  # the structured-field string form is the same key

    assert again.status_code == 201
    assert again.json() == first.json()
    assert again.headers["idempotent-replayed"] == "true"
    assert "idempotent-replayed" not in first.headers


def test_the_same_key_with_another_body_is_refused_and_a_missing_key_is_a_bad_request(
    client: TestClient, opened: str
) -> None:
    reserve(client, "k1")

    assert reserve(client, "k1", quantity=2).json()["code"] == "idempotency.key_reused"
    assert reserve(client, "k1", quantity=2).status_code == 422
    missing = reserve(client, None)
    assert (missing.status_code, missing.json()["code"]) == (400, "idempotency.key_missing")


def test_the_per_customer_limit_counts_every_reservation_of_the_contact(
    client: TestClient, opened: str
) -> None:
    assert reserve(client, "k1", quantity=1, contact="Min@Example.com ").status_code == 201
    refused = reserve(client, "k2", quantity=2, sku="3g-64")

    assert (refused.status_code, refused.json()["code"]) == (422, "reservation.over_limit")
    assert refused.json()["details"] == {"limit": 2, "held": 1, "asked": 2}


@pytest.mark.parametrize(
    ("fields", "status", "code"),
    [
        ({"sku": "nope"}, 422, "reservation.unknown_sku"),
        ({"quantity": 0}, 422, "request.invalid"),
        ({"shoe": 1}, 422, "request.invalid"),
    ],
)
def test_bad_requests_are_refused_with_a_code_and_nothing_written(
    client: TestClient, opened: str, fields: dict[str, object], status: int, code: str
) -> None:
    response = reserve(client, "k1", **fields)

    assert (response.status_code, response.json()["code"]) == (status, code)
    assert reserve(client, "k2").json()["sequence"] == 1


def test_malformed_and_oversized_bodies_are_refused(client: TestClient, opened: str) -> None:
    headers = {"Idempotency-Key": "k", "Content-Type": "application/json"}
    broken = client.post("/launches/ipad/reservations", content=b"{", headers=headers)
    huge = client.post("/launches/ipad/reservations", content=b" " * 5000, headers=headers)

    assert (broken.status_code, broken.json()["code"]) == (400, "request.malformed_json")
    assert (huge.status_code, huge.json()["code"]) == (413, "request.too_large")


def test_past_the_cap_reservations_are_waitlisted_and_a_cancellation_lets_the_first_waiting_in(
    client: TestClient, opened: str
) -> None:
    made = [reserve(client, f"k{i}", contact=f"c{i}@example.com").json() for i in range(5)]

    assert [r["state"] for r in made] == ["queued"] * 3 + ["waitlisted"] * 2
    assert made[3]["waitlisted"] is True
    cancelled = client.post(f"/reservations/{made[0]['code']}/cancel", json={"secret": made[0]["secret"]})
    assert cancelled.status_code == 200 and cancelled.json()["state"] == "cancelled"
    shown = client.get(made[3]["lookup"]).json()
    assert (shown["state"], shown["place"]) == ("queued", 3)
    assert client.get(made[4]["lookup"]).json()["place"] == 1


def test_a_reservation_is_shown_only_with_its_secret(client: TestClient, opened: str) -> None:
    made = reserve(client, "k1").json()

    shown = client.get(made["lookup"]).json()
    assert (shown["sequence"], shown["state"], shown["place"]) == (1, "queued", 1)
    assert shown["ships"] is None
    wrong = client.get(f"/reservations/{made['code']}", params={"secret": "guess"})
    assert (wrong.status_code, wrong.json()["code"]) == (404, "reservation.not_found")


BROWSER = {"Accept": "text/html,application/xhtml+xml"}


def test_a_browser_reads_the_reservation_as_a_page_in_korean_or_english(
    client: TestClient, opened: str
) -> None:
    made = [reserve(client, f"k{i}", contact=f"c{i}@example.com").json() for i in range(4)]

    korean = client.get(made[3]["lookup"] + "&lang=ko", headers=BROWSER)
    assert korean.status_code == 200 and korean.headers["content-type"].startswith("text/html")
    assert korean.headers["cache-control"] == "private, no-store"
    page = korean.text
    assert "내 사전 예약" in page and "대기자 명단" in page and "아직 정해지지 않음" in page
    assert f"?secret={made[3]['secret']}&amp;lang=en" in page  # switching language keeps the secret
    english = client.get(made[0]["lookup"] + "&lang=en", headers=BROWSER).text
    assert "Your reservation" in english and "Reserved" in english and "not yet scheduled" in english
    assert "<script>" not in english.split("</head>")[1]  # the page works without a script


def test_the_page_cancels_with_a_plain_form_and_comes_back_showing_it_cancelled(
    client: TestClient, opened: str
) -> None:
    made = reserve(client, "k1").json()

    cancelled = client.post(
        f"/reservations/{made['code']}/cancel?lang=en",
        data={"secret": made["secret"]},
        headers=BROWSER,
        follow_redirects=False,
    )
    assert cancelled.status_code == 303
    assert cancelled.headers["location"] == f"{made['lookup']}&lang=en"
    page = client.get(cancelled.headers["location"], headers=BROWSER).text
    assert "This reservation was cancelled on" in page and "Cancel this reservation" not in page
    assert client.get(made["lookup"]).json()["state"] == "cancelled"


def test_a_browser_with_a_wrong_secret_gets_the_not_found_page(client: TestClient, opened: str) -> None:
    made = reserve(client, "k1").json()

    wrong = client.get(f"/reservations/{made['code']}", params={"secret": "guess"}, headers=BROWSER)
    assert wrong.status_code == 404 and wrong.headers["content-type"].startswith("text/html")


def test_an_address_past_its_burst_is_told_to_retry_and_nothing_is_written(
    launch: str, clock: SimulatedClock, rt: Runtime
) -> None:
    settings = Settings(
        database_url="unused", run_scheduler=False, public_writes_per_second=1, public_writes_burst=2
    )
    client = TestClient(create_app(rt, settings))
    clock.advance_to(OPENS)
    assert [reserve(client, f"k{i}", contact=f"c{i}@example.com").status_code for i in range(2)] == [201, 201]

    limited = reserve(client, "k3", contact="c3@example.com")

    assert (limited.status_code, limited.json()["code"]) == (429, "rate.limited")
    assert limited.headers["retry-after"] == "1"
    assert limited.json()["details"]["retry_after"] == 1
    cancel = client.post("/reservations/nope/cancel", json={"secret": "s"})
    assert cancel.status_code == 429 and cancel.headers["retry-after"] == "1"
    assert reserve(client, "k3", contact="c3@example.com").status_code == 429  # the key was not spent


def test_the_limit_refills_at_its_rate() -> None:
    now = [0.0]
    limit = RateLimit(per_second=2, burst=1, clock=lambda: now[0])
    limit.take("10.0.0.1")
    with pytest.raises(TooManyRequests):
        limit.take("10.0.0.1")
    limit.take("10.0.0.2")  # another address has its own bucket

    now[0] = 0.5
    limit.take("10.0.0.1")


def test_when_the_opening_is_moved_later_or_cancelled_the_next_reservation_follows_at_once(
    client: TestClient, admin: Headers, launch: str, clock: SimulatedClock
) -> None:
    # The writer keeps the launch's terms between batches: this shows each change reaches it.
    assert reserve(client, "k1").json()["details"]["opens_at"] == "2010-11-09T11:00:00+00:00"
    moved = {"time": "2010-11-10T20:00", "precision": "exact", "reason": "the stock arrives a day late"}
    response = client.post("/api/v1/milestones/ipad.preorder/promises", json=moved, headers=admin)
    assert response.status_code == 201, response.text
    clock.advance_to(OPENS + timedelta(hours=1))

    later = reserve(client, "k2")

    assert later.status_code == 409 and later.json()["code"] == "preorder.not_open"
    assert later.json()["details"]["opens_at"] == "2010-11-10T11:00:00+00:00"
    cancelled = {"reason": "the pre-order is called off", "override": "called off in the open"}
    response = client.post("/api/v1/milestones/ipad.preorder/cancel", json=cancelled, headers=admin)
    assert response.status_code == 201, response.text
    clock.advance_to(OPENS + timedelta(days=1, hours=1))

    after = reserve(client, "k3")

    assert after.status_code == 409 and after.json()["code"] == "preorder.not_open"
    assert after.json()["details"]["opens_at"] is None


def test_a_new_cap_or_limit_reaches_the_next_reservation_at_once(
    client: TestClient, admin: Headers, opened: str
) -> None:
    assert reserve(client, "k1", contact="a@example.com", quantity=2).json()["state"] == "queued"
    limit = client.put(
        "/api/v1/launches/ipad/per-customer-limit", json={"per_customer_limit": 1}, headers=admin
    )
    assert limit.status_code == 200, limit.text
    assert reserve(client, "k2", contact="b@example.com", quantity=2).status_code == 422
    cap = client.put("/api/v1/launches/ipad/skus/wifi-16", json={"cap": 2}, headers=admin)
    assert cap.status_code == 200, cap.text

    assert reserve(client, "k3", contact="c@example.com").json()["state"] == "waitlisted"


class _BrokenWriter(Writer):
    async def submit(self, command: Reserve) -> Reply:
        raise RuntimeError("the writer broke")


def test_an_unexpected_failure_on_the_reservation_route_is_a_logged_internal_problem(
    opened: str, rt: Runtime
) -> None:
    # The route runs outside Starlette's error layers, so it answers its own unexpected errors.
    settings = Settings(database_url="unused", run_scheduler=False)
    client = TestClient(create_app(rt, settings, reservation_writer=_BrokenWriter()))

    response = reserve(client)

    assert response.status_code == 500
    assert response.headers["content-type"] == "application/problem+json"
    assert response.json()["code"] == "internal"
