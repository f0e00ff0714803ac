"""Configuring a pre-order (SKUs, caps, the per-customer limit) and reading its reservations
(a page of JSON, or CSV) through the admin API."""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

import pytest
from starlette.applications import Starlette
from starlette.testclient import TestClient

from yaksok.domain.clock import SimulatedClock

Headers = dict[str, str]
SKU = "/api/v1/launches/ipad/skus/{}"
LIMIT = "/api/v1/launches/ipad/per-customer-limit"
LIST = "/api/v1/launches/ipad/reservations"
CSV = "/api/v1/launches/ipad/reservations.csv"


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
    client.post("/api/v1/launches/ipad/milestones", json=milestone, headers=admin)
    promised = {"time": "2010-11-09T20:00", "precision": "exact"}
    response = client.post("/api/v1/milestones/ipad.preorder/promises", json=promised, headers=admin)
    assert response.status_code == 201, response.text
    return "ipad"


@pytest.fixture
def opened(launch: str, clock: SimulatedClock) -> str:
    clock.advance_to(datetime(2010, 11, 9, 11, 0, tzinfo=UTC))
    return launch


def reserve(client: TestClient, key: str, **fields: Any) -> Any:
    body = {"sku": "wifi-16", "quantity": 1, "contact": "min@example.com", **fields}
    return client.post("/launches/ipad/reservations", json=body, headers={"Idempotency-Key": key})


def test_an_editor_adds_a_sku_and_the_change_is_in_the_public_ledger(
    client: TestClient, launch: str, bearer: Callable[[str], Headers]
) -> None:
    response = client.put(SKU.format("wifi-64"), json={"titles": {"en": "Wi-Fi 64 GB"}, "cap": 5},
                          headers=bearer("editor"))  # fmt: skip

    assert response.status_code == 200, response.text
    assert {"code": "wifi-64", "titles": {"en": "Wi-Fi 64 GB"}, "cap": 5} in response.json()["skus"]
    newest = json.loads(client.get("/ledger").text.strip().splitlines()[-1])
    assert newest["kind"] == "launch.sku_set"
    assert json.loads(newest["payload"]) == {
        "launch": "ipad", "sku": "wifi-64", "titles": {"en": "Wi-Fi 64 GB"}, "cap": 5, "previous": None,
    }  # fmt: skip


def test_support_may_not_configure_skus(
    client: TestClient, launch: str, bearer: Callable[[str], Headers]
) -> None:
    response = client.put(SKU.format("wifi-16"), json={"cap": 9}, headers=bearer("support"))

    assert response.status_code == 403


def test_a_cap_below_the_units_already_held_is_refused_and_nothing_changes(
    client: TestClient, opened: str, admin: Headers
) -> None:
    reserve(client, "k1", quantity=2, contact="a@example.com")

    response = client.put(SKU.format("wifi-16"), json={"cap": 1}, headers=admin)

    assert response.status_code == 409
    assert response.json()["code"] == "launch.cap_below_held"
    assert response.json()["details"] == {"sku": "wifi-16", "cap": 1, "held": 2}
    skus = client.get("/api/v1/launches/ipad", headers=admin).json()["skus"]
    assert skus[0]["cap"] == 3


def test_raising_a_cap_admits_the_head_of_the_waitlist(
    client: TestClient, opened: str, admin: Headers
) -> None:
    reserve(client, "k1", quantity=2, contact="a@example.com")
    reserve(client, "k2", quantity=1, contact="b@example.com")
    waiting = reserve(client, "k3", quantity=2, contact="c@example.com").json()
    assert waiting["state"] == "waitlisted"

    assert client.put(SKU.format("wifi-16"), json={"cap": None}, headers=admin).status_code == 200

    states = [r["state"] for r in client.get(LIST, headers=admin).json()["reservations"]]
    assert states == ["queued", "queued", "queued"]


def test_a_raised_cap_admits_its_skus_waitlist_in_order_page_after_page_past_another_skus(
    app: Starlette, client: TestClient, opened: str, admin: Headers
) -> None:
    app.state.public_writes.per_second = 0  # one test client sends them all
    client.put(SKU.format("3g-64"), json={"cap": 1}, headers=admin)
    for i in range(50):  # 3 queued, then the two SKUs' waitlists interleaved
        reserve(client, f"k{i}", sku="3g-64" if i % 2 and i > 3 else "wifi-16", contact=f"c{i}@example.com")
    waiting = [
        r for r in client.get(LIST, headers=admin).json()["reservations"] if r["state"] == "waitlisted"
    ]
    wifi = [r["code"] for r in waiting if r["sku"] == "wifi-16"]
    assert len(wifi) == 24  # more than a page of the waitlist's head (20)

    assert client.put(SKU.format("wifi-16"), json={"cap": 3 + 22}, headers=admin).status_code == 200

    listed = client.get(LIST, headers=admin).json()["reservations"]
    queued = {r["code"] for r in listed if r["state"] == "queued"}
    assert [code in queued for code in wifi] == [True] * 22 + [False] * 2
    assert sum(r["state"] == "queued" for r in listed if r["sku"] == "3g-64") == 1  # its cap: unmoved


def test_the_per_customer_limit_counts_against_the_new_value_for_later_reservations(
    client: TestClient, opened: str, admin: Headers
) -> None:
    response = client.put(LIMIT, json={"per_customer_limit": 3}, headers=admin)
    assert response.status_code == 200 and response.json()["per_customer_limit"] == 3

    assert reserve(client, "k1", quantity=3, sku="3g-64").status_code == 201
    assert reserve(client, "k2", quantity=1, sku="3g-64").json()["code"] == "reservation.over_limit"


def test_a_limit_below_one_is_refused(client: TestClient, launch: str, admin: Headers) -> None:
    response = client.put(LIMIT, json={"per_customer_limit": 0}, headers=admin)

    assert response.status_code in (400, 422)
    assert client.get("/api/v1/launches/ipad", headers=admin).json()["per_customer_limit"] == 2


def test_support_reads_reservations_a_page_at_a_time_filtered_by_state(
    client: TestClient, opened: str, bearer: Callable[[str], Headers]
) -> None:
    for n in range(4):
        reserve(client, f"k{n}", contact=f"c{n}@example.com")
    support = bearer("support")

    first = client.get(LIST, params={"limit": 2}, headers=support).json()
    second = client.get(LIST, params={"limit": 2, "after": first["next_after"]}, headers=support).json()
    waitlisted = client.get(LIST, params={"state": "waitlisted"}, headers=support).json()

    assert [r["sequence"] for r in first["reservations"]] == [1, 2]
    assert [r["sequence"] for r in second["reservations"]] == [3, 4]
    assert [r["sequence"] for r in waitlisted["reservations"]] == [4] and waitlisted["next_after"] is None
    assert "secret_hash" not in first["reservations"][0]


def test_each_reservation_keeps_the_language_its_customer_is_told_in(
    client: TestClient, opened: str, admin: Headers
) -> None:
    reserve(client, "k1", language="ko")
    reserve(client, "k2", contact="b@example.com")
    refused = reserve(client, "k3", contact="c@example.com", language="fr")

    listed = client.get(LIST, headers=admin).json()["reservations"]

    assert [r["language"] for r in listed] == ["ko", "en"]  # English unless the customer said
    assert refused.status_code == 422 and "language" in refused.json()["detail"]


def test_a_viewer_may_not_read_reservations(
    client: TestClient, opened: str, bearer: Callable[[str], Headers]
) -> None:
    assert client.get(LIST, headers=bearer("viewer")).status_code == 403
    assert client.get(CSV, headers=bearer("viewer")).status_code == 403


def test_a_bad_page_parameter_is_a_clear_400(client: TestClient, launch: str, admin: Headers) -> None:
    for params in ({"limit": "0"}, {"limit": "many"}, {"after": "-1"}, {"state": "lost"}):
        response = client.get(LIST, params=params, headers=admin)
        assert response.status_code == 400, params
        assert response.json()["code"] == "request.invalid"


def test_the_csv_export_has_every_column_but_the_secret_and_defuses_formulas(
    client: TestClient, opened: str, admin: Headers
) -> None:
    reserve(client, "k1", contact='=hyperlink("http://evil")', pickup_store="@store")
    made = reserve(client, "k2", contact="b@example.com").json()
    client.post(f"/reservations/{made['code']}/cancel", json={"secret": made["secret"]})

    response = client.get(CSV, headers=admin)

    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/csv")
    rows = list(csv.DictReader(io.StringIO(response.text)))
    columns = "sequence code state sku quantity contact pickup_store created_at cancelled_at language"
    assert list(rows[0]) == columns.split()
    assert rows[0]["contact"] == '\'=hyperlink("http://evil")' and rows[0]["pickup_store"] == "'@store"
    assert made["secret"] not in response.text
    cancelled = client.get(CSV, params={"state": "cancelled"}, headers=admin).text
    assert [r["code"] for r in csv.DictReader(io.StringIO(cancelled))] == [made["code"]]


def test_a_sku_code_longer_than_a_reservation_can_hold_is_refused(
    client: TestClient, launch: str, admin: Headers
) -> None:
    response = client.put(SKU.format("x" * 65), json={}, headers=admin)

    assert response.status_code == 422 and response.json()["code"] == "invalid.sku"


def test_setting_a_sku_to_what_it_already_is_records_nothing(
    client: TestClient, launch: str, admin: Headers
) -> None:
    before = client.get("/ledger").text

    response = client.put(SKU.format("wifi-16"), json={"cap": 3}, headers=admin)

    assert response.status_code == 200 and client.get("/ledger").text == before
