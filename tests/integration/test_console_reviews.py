"""Two-person review through the console's forms, on SQLite and PostgreSQL: the admin's switch,
an editor's promise held, the proposer offered no approval and refused one, another editor's
approval publishing it, a rejection publishing nothing."""

from __future__ import annotations

import re
import warnings

from console_client import PASSWORD, csrf, post
from starlette.applications import Starlette

from yaksok.services import audit_trail, lookups, operators
from yaksok.services.runtime import Runtime

with warnings.catch_warnings():
    warnings.simplefilter("ignore")
    from starlette.testclient import TestClient


def sign_in(app: Starlette, rt: Runtime, email: str, role: str) -> TestClient:
    operators.create_operator(rt, email, role, PASSWORD)
    client = TestClient(app)
    page = client.get("/console/sign-in").text
    reply = client.post("/console/sign-in", data={"csrf": csrf(page), "email": email, "password": PASSWORD})
    assert reply.status_code == 200, reply.text
    return client


def a_launch_under_review(app: Starlette, rt: Runtime) -> TestClient:
    admin = sign_in(app, rt, "admin@example.com", "admin")
    post(admin, "/console/launches", "/console/", slug="ipad", title_en="iPad", zone="Asia/Seoul")
    post(
        admin,
        "/console/launches/ipad/milestones",
        "/console/launches/ipad",
        key="sale",
        kind="sale_starts",
        title_en="Sale starts",
    )
    switched = post(admin, "/console/launches/ipad/review", "/console/launches/ipad", required="on")
    assert switched.status_code == 303
    return admin


def proposal_id(location: str) -> str:
    found = re.search(r"proposed=(p_\w+)", location)
    assert found, location
    return found.group(1)


def test_an_editors_promise_waits_and_another_editor_approves_it_from_the_console(
    app: Starlette, rt: Runtime
) -> None:
    a_launch_under_review(app, rt)
    proposer = sign_in(app, rt, "ed1@example.com", "editor")
    reviewer = sign_in(app, rt, "ed2@example.com", "editor")
    page = "/console/milestones/ipad.sale"

    held = post(proposer, f"{page}/promises", page, time="2010-11-09T20:00", precision="exact")
    pid = proposal_id(held.headers["location"])
    own_page = proposer.get("/console/reviews").text
    own_try = post(proposer, f"/console/reviews/{pid}/approve", "/console/reviews")

    assert lookups.milestone(rt, "ipad.sale").promise is None
    assert pid in own_page and f"/console/reviews/{pid}/approve" not in own_page
    assert own_try.status_code == 409 and "review.own_proposal" in own_try.text
    assert f"/console/reviews/{pid}/approve" in reviewer.get("/console/reviews").text

    approved = post(reviewer, f"/console/reviews/{pid}/approve", "/console/reviews")

    assert approved.status_code == 303
    assert lookups.milestone(rt, "ipad.sale").promise is not None
    trail = {entry.action: entry for entry in audit_trail.trail(rt)}
    assert trail["proposal.approved"].details["proposed_by"] == trail["proposal.made"].actor
    assert trail["promise.made"].details["reviewed"] == {"proposal": pid}


def test_a_rejected_notice_from_the_composer_publishes_nothing(app: Starlette, rt: Runtime) -> None:
    a_launch_under_review(app, rt)
    proposer = sign_in(app, rt, "ed1@example.com", "editor")
    reviewer = sign_in(app, rt, "ed2@example.com", "editor")

    held = post(
        proposer, "/console/notices", "/console/notices", action="publish", launch="ipad", title_en="Hours"
    )
    pid = proposal_id(held.headers["location"])
    rejected = post(reviewer, f"/console/reviews/{pid}/reject", "/console/reviews", reason="wrong hours")

    assert rejected.status_code == 303
    assert lookups.notices(rt, launch_slug="ipad")[0].state.value == "draft"
    assert "wrong hours" in reviewer.get("/console/reviews").text


def test_a_launch_without_review_publishes_from_the_console_at_once(app: Starlette, rt: Runtime) -> None:
    admin = sign_in(app, rt, "admin@example.com", "admin")
    post(admin, "/console/launches", "/console/", slug="ipad", title_en="iPad", zone="Asia/Seoul")
    editor = sign_in(app, rt, "ed1@example.com", "editor")

    done = post(
        editor, "/console/notices", "/console/notices", action="publish", launch="ipad", title_en="Hours"
    )

    assert "saved=" in done.headers["location"]
    assert lookups.notices(rt, launch_slug="ipad")[0].state.value == "published"
    assert "Nothing is waiting for review." in editor.get("/console/reviews").text
