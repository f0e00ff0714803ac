"""``/openapi.json`` describes every API route, its role, its body and answer schemas and the error shape."""

from __future__ import annotations

from typing import Any

import pytest
from starlette.applications import Starlette
from starlette.routing import Route
from starlette.testclient import TestClient


@pytest.fixture
def spec(client: TestClient) -> dict[str, Any]:
    response = client.get("/openapi.json")
    assert response.status_code == 200
    document: dict[str, Any] = response.json()
    return document


def test_every_api_route_is_described_with_bearer_security(app: Starlette, spec: dict[str, Any]) -> None:
    routes = [r for r in app.routes if isinstance(r, Route) and r.path.startswith("/api/v1")]
    assert routes
    for route in routes:
        for method in (route.methods or set()) - {"HEAD"}:
            operation = spec["paths"][route.path][method.lower()]
            assert operation["summary"], route.path
            assert operation["security"] == [{"bearer": []}]
            assert operation["responses"]["401"] == {"$ref": "#/components/responses/Problem"}
    assert spec["components"]["securitySchemes"]["bearer"] == {"type": "http", "scheme": "bearer"}


def test_the_public_ledger_is_described_without_security(spec: dict[str, Any]) -> None:
    for path in ("/ledger", "/ledger/checkpoints", "/.well-known/yaksok-ledger-key"):
        assert spec["paths"][path]["get"]["security"] == []
    parameters = {p["name"] for p in spec["paths"]["/ledger"]["get"]["parameters"]}
    assert parameters == {"after", "limit"}
    success = spec["paths"]["/ledger"]["get"]["responses"]["200"]
    assert success["content"] == {
        "application/x-ndjson": {"schema": {"$ref": "#/components/schemas/LedgerEntryOut"}}
    }
    assert "each line" in success["description"]
    line = spec["components"]["schemas"]["LedgerEntryOut"]
    assert line["required"] == ["seq", "at", "kind", "payload", "prev_hash", "hash"]


def test_request_bodies_are_the_schemas_the_api_enforces(spec: dict[str, Any]) -> None:
    operation = spec["paths"]["/api/v1/milestones/{milestone_id}/promises"]["post"]
    ref = operation["requestBody"]["content"]["application/json"]["schema"]["$ref"]
    schema = spec["components"]["schemas"][ref.rsplit("/", 1)[-1]]
    assert schema["additionalProperties"] is False
    assert schema["required"] == ["precision"]
    assert {"time", "reason", "override", "change_kind"} <= set(schema["properties"])
    assert [p["name"] for p in operation["parameters"]] == ["milestone_id"]


def test_a_notices_channels_are_described_as_what_they_are(spec: dict[str, Any]) -> None:
    for name in ("NewNotice", "NoticeEdit", "Correction"):
        channels = spec["components"]["schemas"][name]["properties"]["channels"]
        description = str(channels.get("description") or channels["anyOf"][0]["description"])
        assert description.startswith("where the notice goes, any of board, atom, sse, ")
        assert "(default board, atom, sse)" in description and "ics" not in description


def _component(schema: dict[str, Any]) -> str:
    """The component a response schema names, itself or as the items of an array."""
    return str(schema.get("items", schema)["$ref"]).removeprefix("#/components/schemas/")


def test_every_api_operation_documents_its_success_response_by_reference(
    app: Starlette, spec: dict[str, Any]
) -> None:
    schemas = spec["components"]["schemas"]
    for route in app.routes:
        if not (isinstance(route, Route) and route.path.startswith("/api/v1")):
            continue
        for method in (route.methods or set()) - {"HEAD"}:
            responses = spec["paths"][route.path][method.lower()]["responses"]
            successes = [code for code in responses if code.startswith("2")]
            # One success, or two where a change may be held for review: done, or 202 with HeldOut.
            assert len(successes) == 1 or successes[1:] == ["202"], (method, route.path)
            for status in successes:
                content = responses[status]["content"]
                if "text/csv" in content:  # an export: rows of text, its columns in docs/api.md
                    assert content["text/csv"]["schema"] == {"type": "string"}, (method, route.path)
                    continue
                schema = content["application/json"]["schema"]
                assert _component(schema) in schemas, (method, route.path)


def test_a_response_schema_lists_every_field_as_required_and_nullable_ones_as_such(
    spec: dict[str, Any],
) -> None:
    revision = spec["paths"]["/api/v1/milestones/{milestone_id}/promises"]["post"]["responses"]["201"]
    assert revision["content"]["application/json"]["schema"] == {"$ref": "#/components/schemas/RevisionOut"}
    notice = spec["components"]["schemas"]["NoticeOut"]
    assert set(notice["required"]) == set(notice["properties"])
    assert {"type": "null"} in notice["properties"]["published_at"]["anyOf"]
    listed = spec["paths"]["/api/v1/notices"]["get"]["responses"]["200"]["content"]["application/json"]
    assert listed["schema"] == {"type": "array", "items": {"$ref": "#/components/schemas/NoticeOut"}}


def test_a_route_that_may_hold_a_change_for_review_documents_its_202(spec: dict[str, Any]) -> None:
    for path in ("/api/v1/milestones/{milestone_id}/promises", "/api/v1/notices/{notice_id}/publish"):
        held = spec["paths"][path]["post"]["responses"]["202"]["content"]["application/json"]
        assert held["schema"] == {"$ref": "#/components/schemas/HeldOut"}


def test_errors_are_described_as_problem_json(spec: dict[str, Any]) -> None:
    problem = spec["components"]["schemas"]["Problem"]
    assert problem["required"] == ["type", "title", "status", "code", "detail"]
    content = spec["components"]["responses"]["Problem"]["content"]
    assert content == {"application/problem+json": {"schema": {"$ref": "#/components/schemas/Problem"}}}


def test_the_document_is_valid_openapi_3_1(spec: dict[str, Any]) -> None:
    validator = pytest.importorskip("openapi_spec_validator")
    assert spec["openapi"] == "3.1.0"
    validator.validate(spec)
