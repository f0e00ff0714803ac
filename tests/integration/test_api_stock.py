"""Stock batches and allocation through the admin API, and the expected date on the lookup (JSON
and the page in each language)."""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

import pytest
from starlette.testclient import TestClient

from yaksok.domain.clock import SimulatedClock

Headers = dict[str, str]
BATCHES = "/api/v1/launches/ipad/stock-batches"
RUNS = "/api/v1/launches/ipad/allocations"


@pytest.fixture
def opened(client: TestClient, admin: Headers, clock: SimulatedClock) -> str:
    """A launch whose pre-order is open, with one SKU and 2 units per customer."""
    body = {"slug": "ipad", "titles": {"en": "iPad"}, "zone": "Asia/Seoul", "skus": [{"code": "wifi"}],
            "per_customer_limit": 2}  # fmt: skip
    assert client.post("/api/v1/launches", json=body, headers=admin).status_code == 201
    milestone = {"key": "preorder", "kind": "preorder_opens", "titles": {"en": "Pre-orders"}}
    client.post("/api/v1/launches/ipad/milestones", json=milestone, headers=admin)
    promised = {"time": "2010-11-09T20:00", "precision": "exact"}
    client.post("/api/v1/milestones/ipad.preorder/promises", json=promised, headers=admin)
    clock.advance_to(datetime(2010, 11, 9, 11, 0, tzinfo=UTC))
    return "ipad"


def reserve(client: TestClient, key: str, quantity: int) -> Any:
    body = {"sku": "wifi", "quantity": quantity, "contact": f"{key}@example.com"}
    response = client.post("/launches/ipad/reservations", json=body, headers={"Idempotency-Key": key})
    assert response.status_code == 201, response.text
    return response.json()


def test_an_editor_records_batches_runs_allocation_and_the_lookup_shows_the_date_and_its_history(
    client: TestClient, opened: str, bearer: Callable[[str], Headers]
) -> None:
    editor = bearer("editor")
    first, second = reserve(client, "a", 2), reserve(client, "b", 1)
    batch = {"sku": "wifi", "units": 2, "date": "2010-11-30"}

    added = client.post(BATCHES, json=batch, headers=editor)
    ran = client.post(RUNS, headers=editor)
    client.post(BATCHES, json={**batch, "date": "2010-12-07"}, headers=editor)
    client.post(RUNS, headers=editor)
    moved = client.put(f"{BATCHES}/1/date", json={"date": "2010-11-27", "reason": "early"}, headers=editor)
    client.post(RUNS, headers=editor)

    assert added.status_code == 201, added.text
    assert added.json() == {"number": 1, "sku": "wifi", "units": 2, "date": "2010-11-30", "kind": "ship",
                            "store": None}  # fmt: skip
    assert ran.status_code == 201 and ran.json()["scheduled"] == 1 and ran.json()["run"] == 1
    assert moved.status_code == 200 and moved.json()["date"] == "2010-11-27"
    last = client.get(f"{RUNS}/last", headers=bearer("viewer")).json()
    assert (last["run"], last["batches"]) == (3, {"1": "2010-11-27", "2": "2010-12-07"})
    assert [b["number"] for b in client.get(BATCHES, headers=bearer("viewer")).json()["batches"]] == [1, 2]
    kinds = [json.loads(line)["kind"] for line in client.get("/ledger").text.strip().splitlines()]
    assert kinds.count("allocation.run") == 3 and "stock.batch_moved" in kinds

    looked = client.get(f"/reservations/{first['code']}", params={"secret": first["secret"]}).json()
    assert (looked["ship_date"], looked["ship_kind"]) == ("2010-11-27", "ship")
    assert [(h["old"], h["new"], h["reason"], h["batch"]) for h in looked["ship_date_history"]] == [
        (None, "2010-11-30", "first_scheduled", 1),
        ("2010-11-30", "2010-11-27", "batch_moved", 1),
    ]
    later = client.get(f"/reservations/{second['code']}", params={"secret": second["secret"]}).json()
    assert later["ship_date"] == "2010-12-07" and later["ships"] == "7 December 2010 (Tue)"

    page = client.get(f"/reservations/{first['code']}", params={"secret": first["secret"], "lang": "ko"},
                      headers={"Accept": "text/html"}).text  # fmt: skip
    assert "2010년 11월 27일 (토)" in page and "1차 입고분 일정 변경" in page
    page_ja = client.get(f"/reservations/{first['code']}", params={"secret": first["secret"], "lang": "ja"},
                         headers={"Accept": "text/html"}).text  # fmt: skip
    assert "2010年11月27日(土)" in page_ja


def test_before_any_batch_the_lookup_says_not_yet_scheduled(
    client: TestClient, opened: str, bearer: Callable[[str], Headers]
) -> None:
    made = reserve(client, "a", 1)
    client.post(RUNS, headers=bearer("editor"))

    looked = client.get(f"/reservations/{made['code']}", params={"secret": made["secret"]}).json()
    page = client.get(f"/reservations/{made['code']}", params={"secret": made["secret"], "lang": "en"},
                      headers={"Accept": "text/html"}).text  # fmt: skip

    assert looked["ship_date"] is None and looked["ships"] is None and looked["ship_date_history"] == []
    assert "not yet scheduled" in page


def test_bad_batches_are_refused_with_their_code_and_nothing_is_recorded(
    client: TestClient, opened: str, bearer: Callable[[str], Headers], ledger_head: Callable[[], int]
) -> None:
    editor = bearer("editor")
    before = ledger_head()
    cases = [
        ({"sku": "nope", "units": 2, "date": "2010-11-30"}, 422, "stock.batch_invalid"),
        ({"sku": "wifi", "units": 2, "date": "30/11/2010"}, 422, "stock.batch_invalid"),
        ({"sku": "wifi", "units": 2, "date": "2010-11-30", "kind": "pickup"}, 422, "stock.batch_invalid"),
    ]
    for body, status, code in cases:
        response = client.post(BATCHES, json=body, headers=editor)
        assert (response.status_code, response.json()["code"]) == (status, code), body
    missing = client.put(f"{BATCHES}/7/date", json={"date": "2010-11-30", "reason": "r"}, headers=editor)
    no_run = client.get(f"{RUNS}/last", headers=editor)
    support = client.post(RUNS, headers=bearer("support"))

    assert (missing.status_code, missing.json()["code"]) == (404, "stock.batch_not_found")
    assert (no_run.status_code, no_run.json()["code"]) == (404, "allocation.no_run")
    assert support.status_code == 403
    assert ledger_head() == before
