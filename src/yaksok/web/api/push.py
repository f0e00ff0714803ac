"""Browser push, public: the page fetches the server's VAPID key, subscribes with the browser's
``PushManager``, and posts the ``PushSubscription`` (its ``toJSON()`` shape) here, for one
launch's reminders and changes. No address, no token: the browser proves it is itself by the
subscription's ``auth`` secret when it unsubscribes. Writes are rate-limited per client address."""

from __future__ import annotations

from typing import Annotated, Literal

import msgspec
from msgspec import Meta
from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import BaseRoute

from yaksok.config import Settings
from yaksok.domain.notice import NoticeKind
from yaksok.services import delivery, push
from yaksok.services.runtime import Runtime
from yaksok.web.api.body import read_body
from yaksok.web.api.operation import Doc, DocumentedRoute
from yaksok.web.api.responses import Out
from yaksok.web.api.schemas import Body, Instant
from yaksok.web.rate_limit import RateLimit, client_address


class PushKeys(Body):
    p256dh: Annotated[str, Meta(max_length=200, description="the browser's P-256 public key, base64url")]
    auth: Annotated[str, Meta(max_length=100, description="the browser's 16-byte auth secret, base64url")]


class NewPushSubscription(Body):
    """A browser's ``PushSubscription.toJSON()``, and the language its notifications are in."""

    endpoint: Annotated[str, Meta(max_length=2000, description="the push service's https URL")]
    keys: PushKeys
    expirationTime: float | None = None  # the browser's name for it
    language: Literal["ko", "en", "ja"] = "en"


class PushUnsubscribe(Body):
    endpoint: Annotated[str, Meta(max_length=2000)]
    keys: PushKeys
    expirationTime: float | None = None


class PushKeyOut(Out):
    public_key: Annotated[
        str, Meta(description="the VAPID public key (RFC 8292): PushManager.subscribe's applicationServerKey")
    ]


class PushSubscriptionOut(Out):
    id: str
    launch: str
    language: str
    kinds: list[NoticeKind]
    created_at: Instant


class PushEndedOut(Out):
    ended: Annotated[list[str], Meta(description="the ids of the subscriptions ended")]


_NEW = msgspec.json.Decoder(NewPushSubscription)
_END = msgspec.json.Decoder(PushUnsubscribe)


async def push_key(request: Request) -> Response:
    public_key = await run_in_threadpool(push.application_server_key, request.app.state.rt)
    return _json(PushKeyOut(public_key=public_key))


async def push_subscribe(request: Request) -> Response:
    rt, settings = _context(request)
    body = await read_body(request, _NEW, settings.max_body_bytes)
    slug = request.path_params["slug"]
    options = await run_in_threadpool(delivery.transport_options, settings, rt)
    made = await run_in_threadpool(
        push.subscribe, rt, slug, body.endpoint, body.keys.p256dh, body.keys.auth, body.language, options
    )
    out = PushSubscriptionOut(
        id=made.id, launch=slug, language=made.language, kinds=list(made.kinds), created_at=made.created_at
    )
    return _json(out, status=201)


async def push_unsubscribe(request: Request) -> Response:
    rt, settings = _context(request)
    body = await read_body(request, _END, settings.max_body_bytes)
    ended = await run_in_threadpool(
        push.unsubscribe, rt, request.path_params["slug"], body.endpoint, body.keys.auth
    )
    return _json(PushEndedOut(ended=ended))


def _context(request: Request) -> tuple[Runtime, Settings]:
    limit: RateLimit = request.app.state.public_writes
    limit.take(client_address(request.scope.get("client")))
    return request.app.state.rt, request.app.state.settings


def _json(out: Out, status: int = 200) -> Response:
    return Response(msgspec.json.encode(out), status_code=status, media_type="application/json")


def routes() -> list[BaseRoute]:
    return [
        DocumentedRoute("/push/key", push_key, method="GET", doc=Doc(
            "The VAPID public key a page subscribes a browser with (applicationServerKey)", "push", None,
            reply=PushKeyOut)),
        DocumentedRoute("/launches/{slug}/push", push_subscribe, method="POST", doc=Doc(
            "Push this launch's reminders and changes to a browser (its PushSubscription.toJSON())",
            "push", None, body=NewPushSubscription, status=201, reply=PushSubscriptionOut)),
        DocumentedRoute("/launches/{slug}/push/unsubscribe", push_unsubscribe, method="POST", doc=Doc(
            "Stop pushing this launch's notices to a browser (its endpoint and auth key)", "push", None,
            body=PushUnsubscribe, reply=PushEndedOut)),
    ]  # fmt: skip
