"""HTTP fixtures: the whole app in process (no lifespan, no scheduler) on each database."""

from __future__ import annotations

import warnings
from collections.abc import Callable

import msgspec
import pytest
from starlette.applications import Starlette
from starlette.exceptions import StarletteDeprecationWarning

from yaksok.config import Settings
from yaksok.services.auth import create_token
from yaksok.services.runtime import Runtime
from yaksok.web.app import create_app

with warnings.catch_warnings():
    # Starlette 1.x prefers httpx2 for its TestClient; plain httpx behaves the same in process.
    warnings.simplefilter("ignore", StarletteDeprecationWarning)
    from starlette.testclient import TestClient

Headers = dict[str, str]


@pytest.fixture
def app(rt: Runtime) -> Starlette:
    return create_app(rt, Settings(database_url="unused", run_scheduler=False))


@pytest.fixture
def client(app: Starlette) -> TestClient:
    return TestClient(app)


@pytest.fixture
def bearer(rt: Runtime) -> Callable[[str], Headers]:
    """Headers carrying a fresh token for a role."""
    return lambda role: {"Authorization": f"Bearer {create_token(rt, role).secret}"}


@pytest.fixture
def admin(bearer: Callable[[str], Headers]) -> Headers:
    return bearer("admin")


@pytest.fixture
def ledger_head(client: TestClient) -> Callable[[], int]:
    """The seq of the newest public ledger entry, read through ``GET /ledger``."""

    def head() -> int:
        body = client.get("/ledger", params={"limit": 10_000}).content
        lines = [line for line in body.split(b"\n") if line]  # NDJSON: "\n" ends a line, nothing else
        return int(msgspec.json.decode(lines[-1])["seq"]) if lines else 0

    return head


@pytest.fixture
def ipad(client: TestClient, admin: Headers) -> str:
    """The reference launch (Asia/Seoul, default policy) with a pre-order milestone; its id."""
    launch = {
        "slug": "ipad",
        "titles": {"ko": "아이패드", "en": "iPad"},
        "zone": "Asia/Seoul",
        "market": "KR",
    }
    assert client.post("/api/v1/launches", json=launch, headers=admin).status_code == 201
    milestone = {
        "key": "preorder",
        "kind": "preorder_opens",
        "titles": {"ko": "예약 판매", "en": "Pre-orders"},
    }
    response = client.post("/api/v1/launches/ipad/milestones", json=milestone, headers=admin)
    assert response.status_code == 201, response.text
    return str(response.json()["id"])
