"""Public subscriptions: anyone may ask to be told of notices. No token: a subscriber proves
nothing, and gets nothing but the notices already public, at an address checked against
server-side request forgery."""

from __future__ import annotations

import msgspec
from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import BaseRoute

from yaksok.config import Settings
from yaksok.domain.commands import Subscribe
from yaksok.services import delivery
from yaksok.services.runtime import Runtime
from yaksok.web.api import schemas
from yaksok.web.api.body import read_body
from yaksok.web.api.operation import Doc, DocumentedRoute
from yaksok.web.api.responses import SubscriptionOut

_DECODER = msgspec.json.Decoder(schemas.NewSubscription)


async def subscribe(request: Request) -> Response:
    rt: Runtime = request.app.state.rt
    settings: Settings = request.app.state.settings
    body = await read_body(request, _DECODER, settings.max_body_bytes)
    command = Subscribe(
        channel=body.channel,
        target=body.url,
        language=body.language,
        launches=tuple(body.launches),
        kinds=tuple(body.kinds),
    )
    made = await run_in_threadpool(delivery.subscribe, rt, command, delivery.transport_options(settings, rt))
    out = SubscriptionOut(
        id=made.id,
        channel=made.channel,
        url=made.target,
        language=made.language,
        launches=list(made.launches),
        kinds=list(made.kinds),
        created_at=made.created_at.isoformat(),
        secret=made.secret,
    )
    return Response(msgspec.json.encode(out), status_code=201, media_type="application/json")


def routes() -> list[BaseRoute]:
    return [
        DocumentedRoute("/subscriptions", subscribe, method="POST", doc=Doc(
            "Subscribe a webhook to published notices (its whsec_ secret is shown once)", "subscriptions",
            None, body=schemas.NewSubscription, status=201, reply=SubscriptionOut)),
    ]  # fmt: skip
