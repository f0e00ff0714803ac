"""The audit trail with old and new values, on SQLite and PostgreSQL: each operator change (a
promise, a title, a SKU's cap, the per-customer limit, a token revoked, a draft edited) noted with
what it replaced, filtered by operator, launch, action and dates, exported as CSV and JSON."""

from __future__ import annotations

import csv
import io
import json
import warnings
from datetime import timedelta

from console_client import PASSWORD, csrf, post
from starlette.applications import Starlette

from yaksok.domain.clock import SimulatedClock
from yaksok.services import auth, operators
from yaksok.services.runtime import Runtime

with warnings.catch_warnings():
    warnings.simplefilter("ignore")
    from starlette.testclient import TestClient


def sign_in(app: Starlette, rt: Runtime, email: str, role: str) -> tuple[TestClient, str]:
    made = operators.create_operator(rt, email, role, PASSWORD)
    client = TestClient(app)
    page = client.get("/console/sign-in").text
    reply = client.post("/console/sign-in", data={"csrf": csrf(page), "email": email, "password": PASSWORD})
    assert reply.status_code == 200, reply.text
    return client, made.id


def a_week_of_changes(app: Starlette, rt: Runtime, clock: SimulatedClock) -> tuple[TestClient, str, str]:
    """An admin sets up the iPad launch and changes its promise, SKU cap and limit; an editor
    corrects its title a day later. The admin's console and both operators' ids."""
    admin, admin_id = sign_in(app, rt, "admin@example.com", "admin")
    editor, editor_id = sign_in(app, rt, "editor@example.com", "editor")
    launch, milestone = "/console/launches/ipad", "/console/milestones/ipad.pre"
    post(admin, "/console/launches", "/console/", slug="ipad", title_en="iPad", zone="Asia/Seoul")
    post(admin, f"{launch}/milestones", launch, key="pre", kind="preorder_opens", title_en="Pre-order")
    for time, reason in (("2010-11-09T20:00", ""), ("2010-11-10T20:00", "Stock arrives a day late")):
        done = post(admin, f"{milestone}/promises", milestone, time=time, precision="exact", reason_en=reason)
        assert done.status_code == 303, done.text
    for cap in ("5", "3"):
        post(admin, f"{launch}/skus", launch, code="wifi", title_en="Wi-Fi", cap=cap)
    post(admin, f"{launch}/per-customer-limit", launch, per_customer_limit="2")
    clock.advance(timedelta(days=1))
    post(editor, f"{launch}/titles", launch, title_en="iPad Wi-Fi", title_ko="아이패드")
    return admin, admin_id, editor_id


def test_every_change_shows_its_old_value_beside_the_new_one(
    app: Starlette, rt: Runtime, clock: SimulatedClock
) -> None:
    admin, _, _ = a_week_of_changes(app, rt, clock)

    exported = json.loads(admin.get("/console/audit.json?launch=ipad").text)

    changes = {(e["action"], json.dumps(e["after"].get("cap"))): e for e in exported}
    promise = changes[("promise.changed", "null")]
    assert promise["before"]["described"].startswith("2010-11-09 20:00")
    assert promise["after"]["at"].startswith("2010-11-10T11:00")
    assert changes[("launch.sku_set", "3")]["before"] == {"titles": {"en": "Wi-Fi"}, "cap": 5}
    assert changes[("launch.sku_set", "5")]["before"] is None  # a new SKU replaced nothing
    assert changes[("launch.limit_set", "null")]["before"] == 1
    retitled = changes[("launch.retitled", "null")]
    assert (retitled["before"], retitled["after"]["titles"]) == (
        {"en": "iPad"},
        {"en": "iPad Wi-Fi", "ko": "아이패드"},
    )
    assert retitled["operator"] == "editor@example.com"
    assert {e["launch"] for e in exported} == {"ipad"}


def test_the_audit_page_filters_by_operator_action_launch_and_dates(
    app: Starlette, rt: Runtime, clock: SimulatedClock
) -> None:
    admin, admin_id, editor_id = a_week_of_changes(app, rt, clock)

    by_editor = admin.get(f"/console/audit?actor={editor_id}").text
    skus = admin.get("/console/audit?action=launch.sku_set&launch=ipad").text
    first_day = admin.get("/console/audit?launch=ipad&since=2010-10-28&until=2010-10-28").text
    before_it = admin.get("/console/audit?until=2010-10-27").text
    bad_date = admin.get("/console/audit?since=yesterday")

    assert (
        by_editor.count("<code>launch.retitled</code>") == 1
        and "<code>launch.sku_set</code>" not in by_editor
    )
    assert "editor@example.com" in by_editor
    assert skus.count("<code>launch.sku_set</code>") == 2 and "<code>promise.made</code>" not in skus
    assert "<code>launch.sku_set</code>" in first_day and "<code>launch.retitled</code>" not in first_day
    assert "<code>operator.created</code>" not in first_day  # not about a launch
    assert "No entry." in before_it
    assert bad_date.status_code == 422 and "time.invalid" in bad_date.text
    assert admin_id in admin.get("/console/audit").text


def test_the_csv_export_carries_the_same_filter_and_the_before_and_after_columns(
    app: Starlette, rt: Runtime, clock: SimulatedClock
) -> None:
    admin, _, _ = a_week_of_changes(app, rt, clock)
    page = admin.get("/console/audit?action=launch.limit_set").text
    assert 'href="/console/audit.csv?action=launch.limit_set"' in page

    rows = list(csv.DictReader(io.StringIO(admin.get("/console/audit.csv?action=launch.limit_set").text)))

    [row] = rows
    assert (row["operator"], row["launch"], row["before"]) == ("admin@example.com", "ipad", "1")
    assert json.loads(row["after"])["per_customer_limit"] == 2


def test_revoking_a_token_and_editing_a_draft_keep_what_they_replaced(
    app: Starlette, rt: Runtime, client: TestClient
) -> None:
    admin, _ = sign_in(app, rt, "admin@example.com", "admin")
    bearer = {"Authorization": f"Bearer {auth.create_token(rt, 'admin').secret}"}
    doomed = auth.create_token(rt, "viewer")
    assert client.post(f"/api/v1/tokens/{doomed.id}/revoke", headers=bearer).status_code == 200
    draft = {"kind": "general", "titles": {"en": "Hours"}, "bodies": {"en": "10 to 6"}}
    made = client.post("/api/v1/notices", json=draft, headers=bearer).json()
    edited = client.patch(
        f"/api/v1/notices/{made['id']}", json={"titles": {"en": "Opening hours"}}, headers=bearer
    )
    assert edited.status_code == 200, edited.text

    exported = {e["action"]: e for e in json.loads(admin.get("/console/audit.json").text)}

    assert exported["token.revoked"]["before"] == {"state": "active"}
    assert exported["token.revoked"]["after"]["state"] == "revoked"
    assert exported["notice.draft"]["after"]["titles"] == {"en": "Hours"}
    assert exported["notice.edited"]["before"]["titles"] == {"en": "Hours"}
    assert exported["notice.edited"]["after"]["titles"] == {"en": "Opening hours"}


def test_the_admin_api_filters_the_audit_trail_as_the_console_does(
    app: Starlette, rt: Runtime, clock: SimulatedClock, client: TestClient
) -> None:
    a_week_of_changes(app, rt, clock)
    bearer = {"Authorization": f"Bearer {auth.create_token(rt, 'admin').secret}"}

    skus = client.get("/api/v1/audit", params={"launch": "ipad", "action": "launch.sku_set"}, headers=bearer)
    later = client.get("/api/v1/audit", params={"since": "2010-10-29T00:00Z"}, headers=bearer)

    assert [(e["launch"], e["details"]["previous"]) for e in skus.json()] == [
        ("ipad", None),
        ("ipad", {"titles": {"en": "Wi-Fi"}, "cap": 5}),
    ]
    assert [e["action"] for e in later.json()] == ["launch.retitled", "token.created"]  # this one
