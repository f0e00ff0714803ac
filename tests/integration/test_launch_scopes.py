"""Roles limited to some launches, on SQLite and PostgreSQL: a store team's token or operator acts
on its own launch only, through the admin API, the console and the command line alike."""

from __future__ import annotations

import warnings

import pytest
import sqlalchemy as sa
from click.testing import CliRunner, Result
from console_client import PASSWORD, csrf, post
from starlette.applications import Starlette

from yaksok.cli import main
from yaksok.domain.commands import CreateLaunch
from yaksok.services import auth, launches, lookups, operators
from yaksok.services.runtime import Runtime
from yaksok.store.unit_of_work import Store

with warnings.catch_warnings():
    warnings.simplefilter("ignore")
    from starlette.testclient import TestClient

Headers = dict[str, str]


def two_launches(rt: Runtime) -> None:
    for slug, title in (("galaxy-tab", "Galaxy Tab"), ("ipad", "iPad")):
        launches.create_launch(rt, CreateLaunch(slug=slug, titles={"en": title}, zone="Asia/Seoul"))


def scoped_token(rt: Runtime, role: str, *slugs: str) -> Headers:
    return {"Authorization": f"Bearer {auth.create_token(rt, role, launches=slugs).secret}"}


def test_a_token_limited_to_one_launch_edits_it_and_gets_a_403_on_another(
    client: TestClient, rt: Runtime
) -> None:
    two_launches(rt)
    store_team = scoped_token(rt, "editor", "galaxy-tab")

    own = client.patch("/api/v1/launches/galaxy-tab", json={"titles": {"en": "Tab S"}}, headers=store_team)
    other = client.patch("/api/v1/launches/ipad", json={"titles": {"en": "iPod"}}, headers=store_team)

    assert own.status_code == 200, own.text
    assert other.status_code == 403
    assert other.headers["content-type"] == "application/problem+json"
    problem = other.json()
    assert problem["code"] == "scope.other_launch"
    assert "galaxy-tab" in problem["detail"] and "ipad" in problem["detail"]
    assert lookups.launch(rt, "ipad")[0].titles == {"en": "iPad"}


def test_a_limited_token_lists_and_reads_only_its_launches(client: TestClient, rt: Runtime) -> None:
    two_launches(rt)
    viewer = scoped_token(rt, "viewer", "galaxy-tab")

    listed = client.get("/api/v1/launches", headers=viewer).json()
    other = client.get("/api/v1/launches/ipad", headers=viewer)

    assert [launch["slug"] for launch in listed] == ["galaxy-tab"]
    assert other.status_code == 403 and other.json()["code"] == "scope.other_launch"


def test_acts_on_every_launch_need_a_role_limited_to_none(client: TestClient, rt: Runtime) -> None:
    two_launches(rt)
    limited_admin = scoped_token(rt, "admin", "galaxy-tab")

    created = client.post(
        "/api/v1/launches", json={"slug": "iphone", "titles": {"en": "iPhone"}, "zone": "Asia/Seoul"},
        headers=limited_admin,
    )  # fmt: skip
    token = client.post("/api/v1/tokens", json={"role": "editor"}, headers=limited_admin)
    notice = client.post(
        "/api/v1/notices", json={"kind": "general", "titles": {"en": "Hello"}, "bodies": {"en": "All"}},
        headers=limited_admin,
    )  # fmt: skip

    for refused in (created, token, notice):
        assert refused.status_code == 403, refused.text
        assert refused.json()["code"] == "scope.all_launches"
    assert [launch.slug for launch in lookups.launches(rt)] == ["galaxy-tab", "ipad"]


def test_an_admin_makes_a_limited_token_through_the_api_and_an_unknown_launch_is_refused(
    client: TestClient, admin: Headers, rt: Runtime
) -> None:
    two_launches(rt)

    made = client.post("/api/v1/tokens", json={"role": "editor", "launches": ["ipad"]}, headers=admin)
    unknown = client.post("/api/v1/tokens", json={"role": "editor", "launches": ["ipod"]}, headers=admin)
    empty = client.post("/api/v1/tokens", json={"role": "editor", "launches": []}, headers=admin)

    assert made.status_code == 201 and made.json()["launches"] == ["ipad"]
    listed = client.get("/api/v1/tokens", headers=admin).json()
    assert [t["launches"] for t in listed] == [None, ["ipad"]]
    for refused in (unknown, empty):
        assert refused.status_code == 422 and refused.json()["code"] == "invalid.scope"
    assert len(listed) == 2  # nothing made by the refusals


def console_as(app: Starlette, rt: Runtime, role: str, *slugs: str) -> TestClient:
    email = f"{role}-{'-'.join(slugs) or 'all'}@example.com"
    operators.create_operator(rt, email, role, PASSWORD, launches=slugs or None)
    client = TestClient(app)
    page = client.get("/console/sign-in").text
    reply = client.post("/console/sign-in", data={"csrf": csrf(page), "email": email, "password": PASSWORD})
    assert reply.status_code == 200, reply.text
    return client


def test_an_operator_limited_to_one_launch_sees_only_it_in_the_console(app: Starlette, rt: Runtime) -> None:
    two_launches(rt)
    console = console_as(app, rt, "admin", "galaxy-tab")

    page = console.get("/console/").text

    assert "/console/launches/galaxy-tab" in page and "/console/launches/ipad" not in page
    assert 'action="/console/launches"' not in page  # creating a launch concerns every launch
    assert "/console/audit" not in page and "/console/subscribers" not in page
    assert "only galaxy-tab" in page
    refused = console.get("/console/launches/ipad")
    assert refused.status_code == 403 and "scope.other_launch" in refused.text


def test_the_console_refuses_a_limited_operators_change_to_another_launch_as_the_api_does(
    app: Starlette, rt: Runtime, client: TestClient
) -> None:
    two_launches(rt)
    console = console_as(app, rt, "editor", "galaxy-tab")
    own_page = "/console/launches/galaxy-tab"

    own = post(console, f"{own_page}/titles", own_page, title_en="Tab S")
    other = post(console, "/console/launches/ipad/titles", own_page, title_en="iPod")
    sku = post(console, "/console/launches/ipad/skus", own_page, code="wifi", title_en="Wi-Fi", cap="")
    audit = console.get("/console/audit")

    assert own.status_code == 303
    for refused in (other, sku):
        assert refused.status_code == 403 and "scope.other_launch" in refused.text
    assert audit.status_code == 403  # an editor's role is too low before its launches matter
    assert lookups.launch(rt, "galaxy-tab")[0].titles == {"en": "Tab S"}
    assert lookups.launch(rt, "ipad")[0].titles == {"en": "iPad"} and not lookups.launch(rt, "ipad")[0].skus


def yaksok(*args: str, stdin: str | None = None) -> Result:
    return CliRunner().invoke(main, list(args), input=stdin, env={"YAKSOK_DATABASE_URL": None})


@pytest.fixture
def database_url(store: Store) -> str:
    """A URL that reaches the ``store`` fixture's database (on PostgreSQL, its own schema)."""
    url = store.engine.url
    if store.dialect == "postgresql":
        with store.engine.connect() as connection:
            schema = connection.execute(sa.text("select current_schema()")).scalar_one()
        url = url.update_query_dict({"options": f"-csearch_path={schema}"})
    return url.render_as_string(hide_password=False)


def test_the_command_line_makes_limited_operators_and_tokens_and_refuses_an_unknown_launch(
    database_url: str, rt: Runtime, client: TestClient
) -> None:
    two_launches(rt)
    db = ("--db", database_url)

    user = yaksok(
        "user", "create", "--email", "tab@example.com", "--role", "editor", "--launch", "galaxy-tab",
        "--password-stdin", *db, stdin=f"{PASSWORD}\n",
    )  # fmt: skip
    token = yaksok("token", "create", "--role", "viewer", "--launch", "ipad", "--launch", "galaxy-tab", *db)
    unknown = yaksok("token", "create", "--role", "viewer", "--launch", "ipod", *db)
    listed = yaksok("token", "list", *db)

    assert user.exit_code == 0, user.output
    assert "only for galaxy-tab" in user.output
    assert token.exit_code == 0, token.output
    assert unknown.exit_code == 1 and "invalid.scope" in unknown.output
    [line] = listed.stdout.strip().splitlines()
    assert line.split("\t")[4] == "galaxy-tab,ipad"
    signed_in = operators.sign_in(rt, "tab@example.com", PASSWORD)
    assert signed_in is not None and signed_in.launches == frozenset({"galaxy-tab"})
    headers = {"Authorization": f"Bearer {token.stdout.strip().splitlines()[-1]}"}
    assert [x["slug"] for x in client.get("/api/v1/launches", headers=headers).json()] == [
        "galaxy-tab",
        "ipad",
    ]
