"""Tokens through the admin API: made, listed and revoked, and kept out of the public ledger."""

from __future__ import annotations

from collections.abc import Callable

import msgspec
from starlette.testclient import TestClient

from yaksok.services import audit_trail, lookups
from yaksok.services.runtime import Runtime

Headers = dict[str, str]


def ledger_kinds(client: TestClient) -> list[str]:
    return [msgspec.json.decode(line)["kind"] for line in client.get("/ledger").content.splitlines()]


def make(client: TestClient, admin: Headers, role: str, label: str = "") -> dict[str, str]:
    response = client.post("/api/v1/tokens", json={"role": role, "label": label}, headers=admin)
    assert response.status_code == 201, response.text
    made: dict[str, str] = response.json()
    return made


def test_making_a_token_leaves_the_public_ledger_untouched_and_goes_to_the_audit_trail(
    client: TestClient, admin: Headers, ledger_head: Callable[[], int], rt: Runtime
) -> None:
    before = ledger_head()

    made = make(client, admin, "editor", "comms team")

    assert ledger_head() == before
    assert "token.created" not in ledger_kinds(client)
    assert "comms team" not in client.get("/ledger").text
    admin_id = client.get("/api/v1/tokens", headers=admin).json()[0]["id"]
    trail = client.get("/api/v1/audit", headers=admin).json()
    assert trail[-1]["action"] == "token.created" and trail[-1]["actor"] == admin_id
    assert trail[-1]["details"] == {"token": made["id"], "role": "editor", "label": "comms team"}
    assert [entry.action for entry in audit_trail.trail(rt)] == ["token.created", "token.created"]


def test_the_token_list_shows_ids_roles_and_labels_but_never_a_secret_or_its_hash(
    client: TestClient, admin: Headers
) -> None:
    made = make(client, admin, "viewer", "press office")

    listed = client.get("/api/v1/tokens", headers=admin)

    assert listed.status_code == 200
    tokens = listed.json()
    assert [(t["role"], t["label"]) for t in tokens] == [("admin", ""), ("viewer", "press office")]
    assert tokens[1]["id"] == made["id"] and tokens[1]["revoked_at"] is None
    assert set(tokens[1]) == {"id", "role", "label", "created_at", "revoked_at", "launches"}
    secret = made["token"]
    assert secret.removeprefix("yk_viewer_") not in listed.text
    assert admin["Authorization"].removeprefix("Bearer yk_admin_") not in listed.text


def test_a_revoked_token_is_refused_from_then_on(client: TestClient, admin: Headers) -> None:
    made = make(client, admin, "editor")
    editor = {"Authorization": f"Bearer {made['token']}"}
    assert client.get("/api/v1/launches", headers=editor).status_code == 200

    revoked = client.post(f"/api/v1/tokens/{made['id']}/revoke", headers=admin)

    assert revoked.status_code == 200, revoked.text
    assert revoked.json()["revoked_at"] is not None
    refused = client.get("/api/v1/launches", headers=editor)
    assert (refused.status_code, refused.json()["code"]) == (401, "auth.invalid_token")
    assert [entry["action"] for entry in client.get("/api/v1/audit", headers=admin).json()][
        -1
    ] == "token.revoked"


def test_revoking_twice_or_an_unknown_token_is_refused(client: TestClient, admin: Headers) -> None:
    made = make(client, admin, "viewer")
    client.post(f"/api/v1/tokens/{made['id']}/revoke", headers=admin)

    again = client.post(f"/api/v1/tokens/{made['id']}/revoke", headers=admin)
    unknown = client.post("/api/v1/tokens/t_nope/revoke", headers=admin)

    assert (again.status_code, again.json()["code"]) == (409, "token.revoked")
    assert (unknown.status_code, unknown.json()["code"]) == (404, "token.not_found")


def test_only_an_admin_lists_or_revokes_tokens_or_reads_the_audit_trail(
    client: TestClient, admin: Headers, bearer: Callable[[str], Headers]
) -> None:
    made = make(client, admin, "viewer")
    editor = bearer("editor")

    for method, path in [
        ("GET", "/api/v1/tokens"),
        ("POST", f"/api/v1/tokens/{made['id']}/revoke"),
        ("GET", "/api/v1/audit"),
    ]:
        response = client.request(method, path, headers=editor)
        assert (response.status_code, response.json()["code"]) == (403, "auth.forbidden"), path


def test_an_operators_public_act_is_audited_with_who_did_it_and_what_the_ledger_recorded(
    client: TestClient, bearer: Callable[[str], Headers], admin: Headers, rt: Runtime
) -> None:
    editor = bearer("editor")
    launch = {"slug": "ipad", "titles": {"en": "iPad"}, "zone": "Asia/Seoul"}
    assert client.post("/api/v1/launches", json=launch, headers=admin).status_code == 201
    limit = client.put(
        "/api/v1/launches/ipad/per-customer-limit", json={"per_customer_limit": 3}, headers=editor
    )
    assert limit.status_code == 200, limit.text

    trail = client.get("/api/v1/audit", headers=admin).json()
    tokens = {t["role"]: t["id"] for t in client.get("/api/v1/tokens", headers=admin).json()}

    created, limited = trail[-2], trail[-1]
    assert (created["action"], created["actor"]) == ("launch.created", tokens["admin"])
    assert (limited["action"], limited["actor"]) == ("launch.limit_set", tokens["editor"])
    assert limited["details"]["per_customer_limit"] == 3 and limited["details"]["previous"] == 1
    seq = limited["details"]["ledger_seq"]
    assert [e.kind for e in lookups.ledger_page(rt, after=seq - 1, limit=1)] == ["launch.limit_set"]
    public = client.get("/ledger").text
    assert tokens["editor"] not in public  # who did it stays out of the public ledger
