"""Passkeys at the console's doors, on SQLite and PostgreSQL: the store keeps ids and public keys,
an answer without its ceremony or that does not verify signs no one in and registers nothing,
and passkey sign-ins are throttled as password ones are. (The real ceremony, with Chromium's
virtual authenticator, is in tests/e2e/test_console_passkeys_browser.py.)"""

from __future__ import annotations

import json
import warnings
from datetime import timedelta

from console_client import csrf, signed_in
from starlette.applications import Starlette

from yaksok.domain.administration import Passkey
from yaksok.domain.clock import SimulatedClock
from yaksok.services import operators, passkeys
from yaksok.services.runtime import Runtime

with warnings.catch_warnings():
    warnings.simplefilter("ignore")
    from starlette.testclient import TestClient

FORGED = json.dumps({"id": "AAAA", "rawId": "AAAA", "type": "public-key", "response": {}})


def test_the_store_keeps_each_passkey_once_with_its_counter(rt: Runtime, clock: SimulatedClock) -> None:
    made = operators.create_operator(rt, "min@example.com", "admin", "correct horse battery")
    key = Passkey("cred-1", made.id, "pQECAyYgASFYIA", 0, clock.now())
    with rt.store.write() as tx:
        assert tx.passkeys.add(key)
        assert not tx.passkeys.add(key)
    with rt.store.write() as tx:
        tx.passkeys.used("cred-1", 7, clock.now() + timedelta(minutes=1))

    [kept] = passkeys.passkeys_of(rt, made.id)

    assert (kept.id, kept.public_key, kept.sign_count) == ("cred-1", "pQECAyYgASFYIA", 7)
    assert kept.last_used_at == clock.now() + timedelta(minutes=1)
    assert passkeys.passkeys_of(rt, "o_nobody") == []


def passkey_attempt(client: TestClient, answer: str) -> tuple[int, dict[str, str]]:
    token = csrf(client.get("/console/sign-in").text)
    options = client.post("/console/sign-in/passkey/options", data={"csrf": token})
    assert options.status_code == 200 and json.loads(options.text)["userVerification"] == "required"
    reply = client.post("/console/sign-in/passkey", data={"csrf": token, "credential": answer})
    return reply.status_code, reply.json()


def test_an_answer_that_does_not_verify_signs_no_one_in_and_repeated_ones_are_throttled(
    app: Starlette,
) -> None:
    client = TestClient(app)

    statuses = [passkey_attempt(client, FORGED)[0] for _ in range(6)]

    assert statuses == [401] * 5 + [429]
    assert client.get("/console/", follow_redirects=False).status_code == 303  # still signed out


def test_an_answer_without_its_ceremony_is_refused(app: Starlette) -> None:
    client = TestClient(app)
    token = csrf(client.get("/console/sign-in").text)

    reply = client.post("/console/sign-in/passkey", data={"csrf": token, "credential": FORGED})
    no_csrf = client.post("/console/sign-in/passkey/options", data={"csrf": "forged"})

    assert reply.status_code == 400 and reply.json()["code"] == "passkey.invalid"
    assert no_csrf.status_code == 403


def test_registering_needs_a_signed_in_operator_and_a_verified_answer(app: Starlette, rt: Runtime) -> None:
    stranger = TestClient(app)
    token = csrf(stranger.get("/console/sign-in").text)
    assert (
        stranger.post("/console/passkeys/options", data={"csrf": token}, follow_redirects=False).status_code
        == 303
    )
    operator = signed_in(app, rt, "viewer")
    token = csrf(operator.get("/console/account").text)

    options = json.loads(operator.post("/console/passkeys/options", data={"csrf": token}).text)
    forged = operator.post("/console/passkeys", data={"csrf": token, "credential": FORGED})

    assert options["rp"]["id"] == "127.0.0.1" and options["user"]["name"] == "viewer@example.com"
    assert options["authenticatorSelection"]["residentKey"] == "required"
    assert forged.status_code == 422 and "passkey.invalid" in forged.text
    assert "No passkey yet." in operator.get("/console/account").text
