"""A Web Push service on 127.0.0.1 for the push tests, holding the browser's side too.

``Browser`` is what a browser keeps for one subscription: a P-256 key pair and a 16-byte auth
secret (its ``toJSON()`` is what a page posts). The service accepts a message only if it is
what RFC 8030/8291/8292 ask for: its ``Authorization: vapid t=…, k=…`` JWT is signed (ES256)
by the key in ``k``, names this service's origin as ``aud``, expires within 24 h and gives a
``mailto:`` or ``https:`` contact as ``sub``; its body is ``aes128gcm`` and decrypts (with
http_ece, as a browser would) with the subscription's keys. Each message is recorded as a
``Pushed``; a message that fails a check is answered 400 and recorded in ``refused``.
"""

from __future__ import annotations

import base64
import json
import os
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

import http_ece
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.hazmat.primitives.asymmetric.utils import encode_dss_signature
from http_servers import QuietHandler, serving


def b64url(raw: bytes) -> str:
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode()


def unb64url(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


@dataclass
class Browser:
    endpoint: str
    key: ec.EllipticCurvePrivateKey = field(default_factory=lambda: ec.generate_private_key(ec.SECP256R1()))
    auth: bytes = field(default_factory=lambda: os.urandom(16))

    @property
    def p256dh(self) -> str:
        point = self.key.public_key().public_bytes(
            serialization.Encoding.X962, serialization.PublicFormat.UncompressedPoint
        )
        return b64url(point)

    def to_json(self) -> dict[str, Any]:
        """``PushSubscription.toJSON()``."""
        return {
            "endpoint": self.endpoint,
            "expirationTime": None,
            "keys": {"p256dh": self.p256dh, "auth": b64url(self.auth)},
        }


@dataclass(frozen=True)
class Pushed:
    browser: str  # the endpoint's last path segment
    headers: dict[str, str]
    message: dict[str, Any]  # the decrypted JSON
    claims: dict[str, Any]  # the VAPID JWT's claims
    vapid_key: str  # the k= of the Authorization header


@dataclass
class PushService:
    origin: str
    browsers: dict[str, Browser] = field(default_factory=dict)
    pushed: list[Pushed] = field(default_factory=list)
    refused: list[str] = field(default_factory=list)
    answers: list[int] = field(default_factory=list)  # statuses to answer next; then 201

    def browser(self, name: str) -> Browser:
        made = self.browsers[name] = Browser(f"{self.origin}/push/{name}")
        return made

    def accept(self, path: str, headers: dict[str, str], body: bytes) -> None:
        """Check one request as a push service and the browser would; ValueError says what is wrong."""
        name = path.rsplit("/", 1)[-1]
        browser = self.browsers.get(name)
        if browser is None:
            raise ValueError(f"no subscription {name}")
        if headers.get("content-encoding") != "aes128gcm":
            raise ValueError(f"Content-Encoding {headers.get('content-encoding')!r}, not aes128gcm")
        if not headers.get("ttl", "").isdigit():
            raise ValueError("no TTL")
        claims, k = self.check_vapid(headers.get("authorization", ""))
        plain = http_ece.decrypt(body, private_key=browser.key, auth_secret=browser.auth, version="aes128gcm")
        self.pushed.append(Pushed(name, headers, json.loads(plain), claims, k))

    def check_vapid(self, authorization: str) -> tuple[dict[str, Any], str]:
        scheme, _, rest = authorization.partition(" ")
        if scheme.lower() != "vapid":
            raise ValueError(f"Authorization is not vapid: {authorization[:40]!r}")
        params = dict(part.strip().split("=", 1) for part in rest.split(","))
        token, k = params["t"], params["k"]
        head, payload, signature = token.split(".")
        if json.loads(unb64url(head)) != {"typ": "JWT", "alg": "ES256"}:
            raise ValueError(f"JWT header {unb64url(head)!r}")
        public = ec.EllipticCurvePublicKey.from_encoded_point(ec.SECP256R1(), unb64url(k))
        raw = unb64url(signature)
        if len(raw) != 64:
            raise ValueError("an ES256 signature is 64 bytes (r || s)")
        der = encode_dss_signature(int.from_bytes(raw[:32], "big"), int.from_bytes(raw[32:], "big"))
        try:
            public.verify(der, f"{head}.{payload}".encode(), ec.ECDSA(hashes.SHA256()))
        except InvalidSignature:
            raise ValueError("the VAPID JWT's signature does not verify with k") from None
        claims: dict[str, Any] = json.loads(unb64url(payload))
        if claims.get("aud") != self.origin:
            raise ValueError(f"aud {claims.get('aud')!r}, not {self.origin!r}")
        if not time.time() < int(claims["exp"]) <= time.time() + 24 * 3600:
            raise ValueError(f"exp {claims['exp']} is not within the next 24 h")
        sub = str(claims.get("sub", ""))
        if not (sub.startswith("mailto:") or sub.startswith("https://")):
            raise ValueError(f"sub {sub!r} is neither mailto: nor https:")
        return claims, k


@contextmanager
def running_push_service() -> Iterator[PushService]:
    box: list[PushService] = []

    class Handler(QuietHandler):
        def do_POST(self) -> None:
            service = box[0]
            body = self.rfile.read(int(self.headers.get("Content-Length", "0")))
            headers = {k.lower(): v for k, v in self.headers.items()}
            status = service.answers.pop(0) if service.answers else 201
            if status == 201:
                try:
                    service.accept(self.path, headers, body)
                except (ValueError, KeyError) as exc:
                    service.refused.append(str(exc))
                    status = 400
            self.send_response(status)
            if status == 201:
                self.send_header("Location", f"{service.origin}/message/{len(service.pushed)}")
            self.send_header("Content-Length", "0")
            self.end_headers()

    with serving(Handler) as url:
        box.append(PushService(url))
        yield box[0]
