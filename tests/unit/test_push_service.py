"""Browser push subscriptions through the service, on the in-memory store (no database, no
network: the endpoint is a literal public address, so checking it resolves nothing)."""

from __future__ import annotations

import base64
import os

import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec

from yaksok.channels.outbound import TransportOptions
from yaksok.domain.commands import CreateLaunch
from yaksok.domain.errors import NotFound
from yaksok.services import launches, push
from yaksok.services.runtime import Runtime

ENDPOINT = "https://93.184.216.34/push/abc"
OPTIONS = TransportOptions()


def b64url(raw: bytes) -> str:
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode()


def browser_keys() -> tuple[str, str]:
    point = (
        ec.generate_private_key(ec.SECP256R1())
        .public_key()
        .public_bytes(serialization.Encoding.X962, serialization.PublicFormat.UncompressedPoint)
    )
    return b64url(point), b64url(os.urandom(16))


@pytest.fixture
def rt(memory_rt: Runtime) -> Runtime:
    launches.create_launch(memory_rt, CreateLaunch(slug="ipad", titles={"en": "iPad"}, zone="Asia/Seoul"))
    return memory_rt


def test_a_browser_subscribes_once_per_launch_and_its_newest_keys_are_kept(rt: Runtime) -> None:
    p256dh, auth = browser_keys()
    made = push.subscribe(rt, "ipad", ENDPOINT, p256dh, auth, "ko", OPTIONS)
    assert (made.channel, made.target, made.secret) == ("webpush", ENDPOINT, f"{p256dh}.{auth}")
    assert made.launches == ("ipad",) and made.kinds == push.PUSH_KINDS and made.language == "ko"

    new_p256dh, new_auth = browser_keys()
    again = push.subscribe(rt, "ipad", ENDPOINT, new_p256dh, new_auth, "ko", OPTIONS)
    assert again.id == made.id
    with rt.store.read() as tx:
        stored = tx.subscriptions.get(made.id)
    assert stored is not None and stored.secret == f"{new_p256dh}.{new_auth}"


def test_only_the_browser_holding_the_auth_key_unsubscribes_and_may_subscribe_afresh(rt: Runtime) -> None:
    p256dh, auth = browser_keys()
    made = push.subscribe(rt, "ipad", ENDPOINT, p256dh, auth, "en", OPTIONS)
    with pytest.raises(NotFound):
        push.unsubscribe(rt, "ipad", ENDPOINT, browser_keys()[1])
    assert push.unsubscribe(rt, "ipad", ENDPOINT, auth) == [made.id]
    with pytest.raises(NotFound):
        push.unsubscribe(rt, "ipad", ENDPOINT, auth)
    assert push.subscribe(rt, "ipad", ENDPOINT, p256dh, auth, "en", OPTIONS).id != made.id


def test_the_vapid_public_key_is_made_once(rt: Runtime) -> None:
    first = push.application_server_key(rt)
    assert push.application_server_key(rt) == first
    assert base64.urlsafe_b64decode(first + "=")[0] == 4
