"""Deny by default: every admin route needs a bearer token with the right role."""

from __future__ import annotations

import re
from collections.abc import Callable

import pytest
from starlette.applications import Starlette
from starlette.routing import Route
from starlette.testclient import TestClient

Headers = dict[str, str]


def api_endpoints(app: Starlette) -> list[tuple[str, str]]:
    found = []
    for route in app.routes:
        if isinstance(route, Route) and route.path.startswith("/api/v1"):
            path = re.sub(r"{\w+}", "x", route.path)
            found.extend((method, path) for method in sorted(route.methods or ()))
    return found


def test_every_api_route_answers_401_without_a_token(app: Starlette, client: TestClient) -> None:
    endpoints = api_endpoints(app)
    assert len(endpoints) >= 20
    for method, path in endpoints:
        # a malformed body too: the token is checked before anything else is read
        response = client.request(method, path, content=b"{", headers={"Content-Type": "application/json"})
        assert response.status_code == 401, (method, path, response.text)
        if method != "HEAD":
            assert response.headers["content-type"] == "application/problem+json"
            assert response.json()["code"] == "auth.required"


def test_an_unknown_token_is_refused(client: TestClient) -> None:
    response = client.get("/api/v1/launches", headers={"Authorization": "Bearer yk_admin_forged"})
    assert response.status_code == 401
    assert response.json()["code"] == "auth.invalid_token"


def test_a_token_of_another_scheme_is_refused(client: TestClient) -> None:
    response = client.get("/api/v1/launches", headers={"Authorization": "Basic YWRtaW46YWRtaW4="})
    assert response.status_code == 401


def test_a_viewer_can_read_but_not_write(
    client: TestClient, bearer: Callable[[str], Headers], ipad: str, ledger_head: Callable[[], int]
) -> None:
    viewer = bearer("viewer")
    assert client.get("/api/v1/launches/ipad", headers=viewer).status_code == 200
    before = ledger_head()
    notice = {"kind": "general", "titles": {"en": "Hello"}, "publish_now": True}
    response = client.post("/api/v1/notices", json=notice, headers=viewer)
    assert response.status_code == 403
    assert response.json()["code"] == "auth.forbidden"
    assert ledger_head() == before


@pytest.mark.parametrize(
    ("path", "body"),
    [
        ("/api/v1/launches", {"slug": "x", "titles": {"en": "X"}, "zone": "UTC"}),
        ("/api/v1/tokens", {"role": "admin"}),
    ],
)
def test_an_editor_cannot_do_what_only_an_admin_may(
    client: TestClient, bearer: Callable[[str], Headers], path: str, body: dict[str, object]
) -> None:
    response = client.post(path, json=body, headers=bearer("editor"))
    assert response.status_code == 403


def test_an_admin_makes_a_token_that_works_for_its_role(client: TestClient, admin: Headers) -> None:
    response = client.post("/api/v1/tokens", json={"role": "editor", "label": "comms team"}, headers=admin)
    assert response.status_code == 201
    made = response.json()
    assert made["role"] == "editor" and made["label"] == "comms team"
    editor = {"Authorization": f"Bearer {made['token']}"}
    assert client.get("/api/v1/launches", headers=editor).status_code == 200
    assert client.post("/api/v1/tokens", json={"role": "viewer"}, headers=editor).status_code == 403


def test_a_token_for_an_unknown_role_is_not_made(client: TestClient, admin: Headers) -> None:
    response = client.post("/api/v1/tokens", json={"role": "root"}, headers=admin)
    assert response.status_code == 422
    assert response.json()["code"] == "request.invalid"
    assert "$.role" in response.json()["detail"]


@pytest.mark.parametrize(
    "path", ["/ledger", "/ledger/checkpoints", "/.well-known/yaksok-ledger-key", "/openapi.json"]
)
def test_the_public_ledger_and_the_api_description_need_no_token(client: TestClient, path: str) -> None:
    assert client.get(path).status_code == 200
