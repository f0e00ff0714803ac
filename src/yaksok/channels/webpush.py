"""Browser push: Web Push messages (RFC 8030), encrypted for the browser (RFC 8291, aes128gcm)
and signed with the server's VAPID key (RFC 8292), sent with pywebpush.

A push subscription's target is the endpoint URL the browser's push service gave it; its keys
(``p256dh``, the browser's P-256 public key, and ``auth``, a 16-byte secret) are stored as its
``secret``, ``p256dh.auth`` in unpadded base64url, since only the sender needs them.

Each message is a small JSON object the service worker (``web/static/sw.js``) shows as a
notification: ``title``, ``body`` (shortened: the ``url`` opens the whole notice), ``url`` and
``tag``. A notice about one milestone carries that milestone's ``topic``, sent as the ``Topic``
header: a push service replaces an undelivered message with a newer one of the same topic, so a
browser that was offline gets only the latest promise, and the notification's ``tag`` replaces
the older one on screen too. ``TTL`` is a day (``TTL``): a reminder or a change older than that
is stale, and the launch page says the rest. ``Urgency`` is ``high`` for a change or an apology
(the promise moved), ``normal`` otherwise.

The endpoint is checked against server-side request forgery as a webhook's URL is (the
``YAKSOK_WEBHOOK_ALLOW_HOSTS`` allow-list), at subscribe time and again by the resolver of every
connection. It must be https, unless every address it resolves to is in the allow-list (a push
service on 127.0.0.1 in the tests). ``404`` or ``410`` from the push service means the browser's
subscription is gone: the subscription is disabled.
"""

from __future__ import annotations

import asyncio
import base64
import binascii
import hashlib
import ipaddress
import json
import re
import socket
import time
from collections.abc import Callable, Mapping, Sequence
from datetime import datetime
from urllib.parse import urlsplit

import aiohttp
from aiohttp.abc import AbstractResolver, ResolveResult
from aiohttp.resolver import ThreadedResolver
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec
from py_vapid import Vapid02, VapidException
from pywebpush import WebPusher

from yaksok.channels import render
from yaksok.channels.outbound import Outgoing, Transport, TransportOptions
from yaksok.channels.webhook import check_addresses, outcome, resolved_addresses
from yaksok.domain import codes
from yaksok.domain.delivery import GiveUp, Outcome, RetryLater
from yaksok.domain.errors import InvalidInput
from yaksok.domain.launch import Milestone
from yaksok.domain.notice import Notice, NoticeKind
from yaksok.domain.subscription import IPNetwork, webhook_url

TTL = 24 * 60 * 60  # seconds a push service keeps a message for a browser that is offline
VAPID_LIFETIME = 12 * 60 * 60  # a VAPID token's exp (RFC 8292 allows at most 24 h)
BODY_CHARS = 240  # a notification shows a few lines; the url opens the notice
_URGENT = frozenset({NoticeKind.CHANGE, NoticeKind.APOLOGY})
_BASE64URL = re.compile(r"[A-Za-z0-9_-]*={0,2}")


def b64url(raw: bytes) -> str:
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode()


def unb64url(text: str) -> bytes:
    """Base64url, padded or not; ValueError for any other character (the decoder would skip it)."""
    if not _BASE64URL.fullmatch(text):
        raise ValueError("not base64url")
    return base64.urlsafe_b64decode(text.rstrip("=") + "=" * (-len(text.rstrip("=")) % 4))


def push_keys(p256dh: str, auth: str) -> str:
    """The keys as stored (``p256dh.auth``), or ``push.keys_invalid`` saying which is not a key:
    ``p256dh`` must be an uncompressed point on P-256, ``auth`` 16 bytes, both base64url."""
    try:
        point, secret = unb64url(p256dh.strip()), unb64url(auth.strip())
    except (binascii.Error, ValueError):
        raise InvalidInput("push keys are base64url (RFC 4648 §5)", code=codes.PUSH_KEYS_INVALID) from None
    if len(secret) != 16:
        raise InvalidInput(f"keys.auth is 16 bytes, not {len(secret)}", code=codes.PUSH_KEYS_INVALID)
    if len(point) != 65 or point[0] != 4:
        raise InvalidInput(
            "keys.p256dh is an uncompressed P-256 point (65 bytes, first 0x04)", code=codes.PUSH_KEYS_INVALID
        )
    try:
        ec.EllipticCurvePublicKey.from_encoded_point(ec.SECP256R1(), point)
    except ValueError:
        raise InvalidInput("keys.p256dh is not a point on P-256", code=codes.PUSH_KEYS_INVALID) from None
    return f"{b64url(point)}.{b64url(secret)}"


def topic(milestone_id: str) -> str:
    """A milestone's ``Topic`` (RFC 8030 §5.4: at most 32 characters of the base64url alphabet)."""
    return b64url(hashlib.sha256(milestone_id.encode()).digest()[:24])


def push_body(notice: Notice, lang: str, base_url: str, milestones: Mapping[str, Milestone]) -> bytes:
    """The message the service worker shows, in ``lang``."""
    text = " ".join(render.body_text(notice, lang, milestones).split())
    if len(text) > BODY_CHARS:
        text = text[: BODY_CHARS - 1].rstrip() + "…"
    about = topic(notice.milestone_ids[0]) if len(notice.milestone_ids) == 1 else ""
    message = {
        "title": notice.title(lang),
        "body": text,
        "url": render.notice_url(base_url, notice.id),
        "tag": about or notice.id,
        "topic": about,
        "urgency": "high" if notice.kind in _URGENT else "normal",
    }
    return json.dumps(message, ensure_ascii=False, separators=(",", ":")).encode()


def new_vapid_key() -> tuple[str, str]:
    """A fresh VAPID key pair: the private key as PEM, the public key as the page's
    ``applicationServerKey`` (the uncompressed point in base64url)."""
    vapid = Vapid02()
    vapid.generate_keys()
    return vapid.private_pem().decode(), application_server_key(vapid)


def application_server_key(vapid: Vapid02) -> str:
    point = vapid.public_key.public_bytes(
        serialization.Encoding.X962, serialization.PublicFormat.UncompressedPoint
    )
    return b64url(point)


class WebPushTransport(Transport):
    def __init__(self, options: TransportOptions) -> None:
        self.options = options
        self._session: aiohttp.ClientSession | None = None
        self._vapid: Vapid02 | None = None
        self._tokens: dict[str, tuple[float, dict[str, str]]] = {}  # by audience: (exp, headers)

    def check_target(self, target: str) -> str:
        host, port, _ = webhook_url(target)
        try:
            addresses = resolved_addresses(host, port)
        except OSError as exc:
            raise InvalidInput(
                f"the host of {target[:80]!r} cannot be resolved: {exc}", code=codes.SUBSCRIPTION_URL_INVALID
            ) from None
        check_addresses(host, addresses, self.options.allow)
        if urlsplit(target).scheme != "https" and not all(_allowed(a, self.options.allow) for a in addresses):
            raise InvalidInput(
                f"a push endpoint is https, not {target[:80]!r}", code=codes.PUSH_ENDPOINT_INVALID
            )
        return target

    async def deliver_many(self, messages: Sequence[Outgoing]) -> list[Outcome]:
        if not messages:
            return []
        if not self.options.vapid_private_key:
            return [GiveUp("no VAPID key: push messages cannot be signed")] * len(messages)
        return list(await asyncio.gather(*(self._deliver(message) for message in messages)))

    async def _deliver(self, message: Outgoing) -> Outcome:
        p256dh, _, auth = message.secret.partition(".")
        try:
            _check_literal(message.target, self.options.allow)
            meta = json.loads(message.body)
            headers = {**self._vapid_headers(message.target), "Urgency": meta.get("urgency") or "normal"}
            if meta.get("topic"):
                headers["Topic"] = meta["topic"]
            pusher = WebPusher(
                {"endpoint": message.target, "keys": {"p256dh": p256dh, "auth": auth}},
                aiohttp_session=self._client(),
            )
            answer = await pusher.send_async(
                message.body, headers, ttl=TTL, content_encoding="aes128gcm", timeout=self._timeout()
            )
        except _Refused as exc:
            return GiveUp(str(exc))
        except aiohttp.ClientConnectorDNSError as exc:
            if isinstance(exc.os_error, _Refused):
                return GiveUp(str(exc.os_error))
            return RetryLater(f"cannot resolve the push service: {exc}")
        except (aiohttp.ClientError, OSError, TimeoutError) as exc:
            return RetryLater(f"cannot reach the push service: {exc or type(exc).__name__}")
        except (ValueError, KeyError) as exc:  # keys or body the stored subscription cannot have
            return GiveUp(f"the push subscription cannot be sent to: {exc}")
        except VapidException as exc:  # an endpoint whose origin cannot be an audience
            return GiveUp(f"cannot sign for {message.target[:80]!r}: {exc}")
        return push_outcome(answer.status, answer.headers.get("Retry-After"), self.options.now)

    def _timeout(self) -> aiohttp.ClientTimeout:
        return aiohttp.ClientTimeout(total=self.options.timeout)

    def _client(self) -> aiohttp.ClientSession:
        if self._session is None or self._session.closed:
            connector = aiohttp.TCPConnector(
                limit_per_host=self.options.connections, resolver=_CheckedResolver(self.options.allow)
            )
            self._session = aiohttp.ClientSession(connector=connector)
        return self._session

    def _vapid_headers(self, endpoint: str) -> dict[str, str]:
        """``Authorization: vapid t=…, k=…`` for the push service's origin, re-signed an hour
        before its token expires."""
        parts = urlsplit(endpoint)
        audience = f"{parts.scheme}://{parts.netloc}"
        now = time.time()
        known = self._tokens.get(audience)
        if known is not None and known[0] - now > 3600:
            return known[1]
        if self._vapid is None:
            self._vapid = Vapid02.from_pem(self.options.vapid_private_key.encode())
        exp = int(now) + VAPID_LIFETIME
        claims: dict[str, str | int] = {"aud": audience, "exp": exp, "sub": self.options.vapid_subject}
        signed: dict[str, str] = self._vapid.sign(claims)
        self._tokens[audience] = (float(exp), signed)
        return signed

    async def aclose(self) -> None:
        if self._session is not None:
            await self._session.close()
            self._session = None


def push_outcome(status: int, retry_after: str | None, now: Callable[[], datetime]) -> Outcome:
    """What a push service's answer means: 201 delivered (accepted for the browser); 404 or 410:
    the browser's subscription is gone, so is ours; 400 and 413 will not get better; else retry."""
    if status in (404, 410):
        return GiveUp(
            f"{status} from the push service: the browser's subscription is gone", disable_endpoint=True
        )
    if status in (400, 413):
        return GiveUp(f"{status} from the push service: the message was refused")
    return outcome(status, None if retry_after is None else retry_after.encode("latin-1"), now())


def _allowed(address: str, allow: Sequence[IPNetwork]) -> bool:
    ip = ipaddress.ip_address(address.split("%", 1)[0])
    return any(ip in network for network in allow if network.version == ip.version)


def _check_literal(endpoint: str, allow: Sequence[IPNetwork]) -> None:
    """Refuse an endpoint whose host is an address pushes may not reach. aiohttp resolves only
    names (through ``_CheckedResolver``); an IP address is connected to as it is."""
    host = urlsplit(endpoint).hostname or ""
    try:
        ipaddress.ip_address(host.split("%", 1)[0])
    except ValueError:
        return  # a name: checked by the resolver
    try:
        check_addresses(host, [host], allow)
    except InvalidInput as exc:
        raise _Refused(str(exc)) from None


class _Refused(OSError):
    """An endpoint's host resolved to an address pushes may not go to."""


class _CheckedResolver(AbstractResolver):
    """Resolves as aiohttp does, then refuses addresses a push may not reach: the connection goes
    to the address checked, so a name cannot be re-pointed between the check and the connect."""

    def __init__(self, allow: Sequence[IPNetwork]) -> None:
        self.allow = allow
        self.inner = ThreadedResolver()

    async def resolve(
        self, host: str, port: int = 0, family: socket.AddressFamily = socket.AF_INET
    ) -> list[ResolveResult]:
        found = await self.inner.resolve(host, port, family)
        try:
            check_addresses(host, [result["host"] for result in found], self.allow)
        except InvalidInput as exc:
            raise _Refused(str(exc)) from None
        return found

    async def close(self) -> None:
        await self.inner.close()
