"""Bad requests get a clear 4xx in the problem+json shape: never a 500, never a partial write."""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from starlette.testclient import TestClient

from yaksok.services import lookups

Headers = dict[str, str]
LAUNCH = {"slug": "pad", "titles": {"en": "Pad"}, "zone": "Asia/Seoul"}


def post_raw(
    client: TestClient, path: str, content: bytes, headers: Headers, media: str = "application/json"
):  # type: ignore[no-untyped-def]
    return client.post(path, content=content, headers={**headers, "Content-Type": media})


@pytest.mark.parametrize(
    ("content", "status", "code"),
    [
        (b'{"slug": "pad", ', 400, "request.malformed_json"),
        (b"[", 400, "request.malformed_json"),
        (b"\xff\xfe", 400, "request.malformed_json"),
        (b'"just a string"', 422, "request.invalid"),
        (b'{"slug": 7, "titles": {"en": "Pad"}, "zone": "UTC"}', 422, "request.invalid"),
        (b'{"slug": "pad", "zone": "UTC"}', 422, "request.invalid"),
        (b'{"slug": "pad", "titles": {"en": "Pad"}, "zone": "UTC", "colour": "red"}', 422, "request.invalid"),
        (b'{"slug": "pad", "titles": {"en": "P\\u0000d"}, "zone": "UTC"}', 422, "request.invalid"),
        (
            b'{"slug": "pad", "titles": {"en": "Pad"}, "zone": "UTC", "per_customer_limit": 1e400}',
            422,
            "request.invalid",
        ),
        (
            b'{"slug":"pad","titles":{"en":"Pad"},"zone":"UTC","per_customer_limit":99999999999999999999}',
            422,
            "request.invalid",
        ),
        (b'{"slug": "Not A Slug", "titles": {"en": "Pad"}, "zone": "UTC"}', 422, "invalid.slug"),
        (b'{"slug": "pad", "titles": {"fr": "Pad"}, "zone": "UTC"}', 422, "invalid.language"),
        (
            b'{"slug": "pad", "titles": {"en": "Pad"}, "zone": "UTC", "policy": {"min_lead_hours": -1}}',
            422,
            "request.invalid",
        ),
    ],
)
def test_a_bad_launch_body_is_refused_with_its_own_code_and_writes_nothing(
    client: TestClient, admin: Headers, ledger_head: Callable[[], int], content: bytes, status: int, code: str
) -> None:
    before = ledger_head()
    response = post_raw(client, "/api/v1/launches", content, admin)
    assert (response.status_code, response.json()["code"]) == (status, code), response.text
    assert response.headers["content-type"] == "application/problem+json"
    assert set(response.json()) >= {"type", "title", "status", "code", "detail"}
    assert ledger_head() == before
    assert client.get("/api/v1/launches", headers=admin).json() == []


def test_a_type_error_names_the_field_path(client: TestClient, admin: Headers) -> None:
    body = {**LAUNCH, "policy": {"min_lead_hours": "soon"}}
    detail = client.post("/api/v1/launches", json=body, headers=admin).json()["detail"]
    assert detail == "Expected `float`, got `str` - at `$.policy.min_lead_hours`"
    detail = client.post("/api/v1/launches", json={"slug": "pad"}, headers=admin).json()["detail"]
    assert "titles" in detail


def test_a_body_that_is_not_json_is_415(client: TestClient, admin: Headers) -> None:
    response = post_raw(client, "/api/v1/launches", json.dumps(LAUNCH).encode(), admin, "text/plain")
    assert (response.status_code, response.json()["code"]) == (415, "request.unsupported_media_type")
    response = client.post("/api/v1/launches", data={"slug": "pad"}, headers=admin)
    assert response.status_code == 415


def test_json_with_a_charset_is_still_json(client: TestClient, admin: Headers) -> None:
    response = post_raw(
        client, "/api/v1/launches", json.dumps(LAUNCH).encode(), admin, "application/json; charset=utf-8"
    )
    assert response.status_code == 201, response.text


def test_a_body_over_the_limit_is_413_by_its_declared_length(
    client: TestClient, admin: Headers, ledger_head: Callable[[], int]
) -> None:
    before = ledger_head()
    huge = {**LAUNCH, "titles": {"en": "x" * 70_000}}
    response = client.post("/api/v1/launches", json=huge, headers=admin)
    assert (response.status_code, response.json()["code"]) == (413, "request.too_large")
    assert response.json()["details"] == {"max_body_bytes": 65536}
    assert ledger_head() == before


def test_a_body_over_the_limit_is_413_even_without_a_declared_length(
    client: TestClient, admin: Headers
) -> None:
    def chunks() -> Iterator[bytes]:
        yield b'{"slug": "pad", "zone": "UTC", "titles": {"en": "'
        for _ in range(100):
            yield b"x" * 1000
        yield b'"}}'

    response = client.post(
        "/api/v1/launches", content=chunks(), headers={**admin, "Content-Type": "application/json"}
    )
    assert (response.status_code, response.json()["code"]) == (413, "request.too_large")


def test_a_body_just_under_the_limit_is_read(client: TestClient, admin: Headers) -> None:
    body = json.dumps({**LAUNCH, "titles": {"en": "x" * 60_000}}).encode()
    assert len(body) < 65536
    assert post_raw(client, "/api/v1/launches", body, admin).status_code == 201


def test_instants_need_an_offset(client: TestClient, admin: Headers, ipad: str) -> None:
    body = {"kind": "general", "titles": {"en": "Hi"}, "publish_at": "2010-11-01T10:00:00"}
    response = client.post("/api/v1/notices", json=body, headers=admin)
    assert (response.status_code, response.json()["code"]) == (422, "request.invalid")
    assert "$.publish_at" in response.json()["detail"]


def test_an_unknown_route_under_the_api_is_a_problem_too(client: TestClient, admin: Headers) -> None:
    response = client.get("/api/v1/nothing-here", headers=admin)
    assert response.status_code == 404
    assert response.headers["content-type"] == "application/problem+json"


json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=30),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=10), inner, max_size=4),
    max_leaves=12,
)
FIELDS = [
    "slug",
    "titles",
    "zone",
    "market",
    "skus",
    "per_customer_limit",
    "policy",
    "key",
    "kind",
    "time",
    "precision",
    "reason",
    "change_kind",
    "override",
    "bodies",
    "launch",
    "milestones",
    "channels",
    "claim",
    "publish_at",
    "publish_now",
    "supersedes",
    "weekdays",
    "at",
    "next_update_at",
    "cadence",
    "note",
]
field_values = st.one_of(
    json_values,
    st.sampled_from(
        [
            "2010-11-09T20:00",
            "2026-03-08T02:30",
            "2010-11",
            "exact",
            "day",
            "Asia/Seoul",
            "ipad",
            "ipad.preorder",
            "2010-10-29T00:00:00Z",
            "10:00",
            "daily",
            "general",
            "false",
            "",
        ]
    ),
    st.dictionaries(st.sampled_from(["ko", "en", "fr"]), st.text(max_size=5), max_size=2),
)
shaped_bodies = st.dictionaries(st.sampled_from(FIELDS), field_values, max_size=6)
ENDPOINTS = [
    ("POST", "/api/v1/launches"),
    ("POST", "/api/v1/launches/ipad/milestones"),
    ("POST", "/api/v1/milestones/ipad.preorder/promises"),
    ("POST", "/api/v1/milestones/ipad.preorder/cancel"),
    ("POST", "/api/v1/milestones/ipad.preorder/occurrence"),
    ("POST", "/api/v1/notices"),
    ("POST", "/api/v1/clarifications"),
    ("POST", "/api/v1/launches/ipad/cadences"),
    ("PATCH", "/api/v1/notices/n_0001"),
]


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(endpoint=st.sampled_from(ENDPOINTS), body=st.one_of(json_values, shaped_bodies))
def test_random_json_never_gets_a_server_error(
    client: TestClient, admin: Headers, ipad: str, endpoint: tuple[str, str], body: object
) -> None:
    method, path = endpoint
    content = json.dumps(body).encode()
    response = client.request(
        method, path, content=content, headers={**admin, "Content-Type": "application/json"}
    )
    assert response.status_code < 500, response.text
    if response.status_code >= 400:
        assert response.headers["content-type"] == "application/problem+json"


@settings(max_examples=50, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(content=st.binary(max_size=200))
def test_random_bytes_never_get_a_server_error(client: TestClient, admin: Headers, content: bytes) -> None:
    response = post_raw(client, "/api/v1/notices", content, admin)
    assert response.status_code < 500, response.text


def test_an_unexpected_error_is_a_logged_500_problem_that_keeps_the_connection(
    client: TestClient, admin: Headers, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    def broken(_rt: object) -> None:
        raise RuntimeError("a bug")

    monkeypatch.setattr(lookups, "launches", broken)
    # The test client re-raises whatever escapes the app, as uvicorn would close the connection.
    response = client.get("/api/v1/launches", headers=admin)

    assert response.status_code == 500
    assert response.headers["content-type"] == "application/problem+json"
    assert response.json()["code"] == "internal"
    assert "a bug" in caplog.text
