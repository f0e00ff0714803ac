"""A browser without JavaScript in the operators' console: signing in, reading CSRF tokens, posting forms."""

from __future__ import annotations

import re
import warnings

from starlette.applications import Starlette

from yaksok.services import operators
from yaksok.services.runtime import Runtime

with warnings.catch_warnings():
    warnings.simplefilter("ignore")
    from starlette.testclient import TestClient

PASSWORD = "correct horse battery"


def operator(rt: Runtime, role: str) -> str:
    email = f"{role}@example.com"
    operators.create_operator(rt, email, role, PASSWORD)
    return email


def csrf(page: str) -> str:
    found = re.search(r'name="csrf" value="([^"]+)"', page)
    assert found, page
    return found.group(1)


def signed_in(app: Starlette, rt: Runtime, role: str) -> TestClient:
    client = TestClient(app)
    email = operator(rt, role)
    page = client.get("/console/sign-in").text
    reply = client.post("/console/sign-in", data={"csrf": csrf(page), "email": email, "password": PASSWORD})
    assert reply.status_code == 200 and reply.url.path == "/console/", reply.text
    return client


def post(client: TestClient, path: str, page_path: str, **fields: str) -> object:
    return client.post(
        path, data={"csrf": csrf(client.get(page_path).text), **fields}, follow_redirects=False
    )
