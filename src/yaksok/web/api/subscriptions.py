"""Public subscriptions: anyone may ask to be told of notices. No token: a subscriber proves
nothing, and gets nothing but the notices already public, at an address checked against
server-side request forgery. An email address gets only a confirmation until its owner follows
the link in it (double opt-in); every email's signed link unsubscribes (RFC 8058 one-click)."""

from __future__ import annotations

import html
import logging

import msgspec
from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import HTMLResponse, Response
from starlette.routing import BaseRoute

from yaksok.channels.transports import REGISTRY
from yaksok.config import Settings
from yaksok.domain.commands import Subscribe
from yaksok.services import delivery, subscriber_links
from yaksok.services.runtime import Runtime
from yaksok.web.api import schemas
from yaksok.web.api.body import read_body
from yaksok.web.api.operation import Doc, DocumentedRoute
from yaksok.web.api.responses import SubscriberLinkOut, SubscriptionOut

log = logging.getLogger(__name__)
_DECODER = msgspec.json.Decoder(schemas.NewSubscription)


async def subscribe(request: Request) -> Response:
    rt: Runtime = request.app.state.rt
    settings: Settings = request.app.state.settings
    # Each subscription may send a confirmation email: limited per address like every public write.
    request.app.state.public_writes.take_for(request.scope.get("client"))
    body = await read_body(request, _DECODER, settings.max_body_bytes)
    command = Subscribe(
        channel=body.channel,
        target=body.address if body.channel == "email" else body.url,
        language=body.language,
        launches=tuple(body.launches),
        kinds=tuple(body.kinds),
        contact=body.contact,
    )
    options = delivery.transport_options(settings, rt)
    made = await run_in_threadpool(delivery.subscribe, rt, command, options)
    confirmed = REGISTRY[made.channel].confirmed
    if not confirmed:
        await delivery.send_confirmation(rt, settings, made)
    out = SubscriptionOut(
        id=made.id,
        channel=made.channel,
        url=made.target if confirmed else "",
        address="" if confirmed else made.target,
        confirmed=confirmed,
        language=made.language,
        launches=list(made.launches),
        kinds=list(made.kinds),
        created_at=made.created_at.isoformat(),
        secret=made.secret if REGISTRY[made.channel].signed else "",
    )
    return Response(msgspec.json.encode(out), status_code=201, media_type="application/json")


async def confirm(request: Request) -> Response:
    rt: Runtime = request.app.state.rt
    subscription_id = await run_in_threadpool(subscriber_links.confirm, rt, request.path_params["token"])
    return _page(request, "Subscription confirmed", "You will be told of new notices.", subscription_id)


async def unsubscribe_page(request: Request) -> Response:
    action = html.escape(request.url.path)
    form = f'<form method="post" action="{action}"><button type="submit">Unsubscribe</button></form>'
    return HTMLResponse(
        _document("Unsubscribe", f"<p>Stop getting yaksok notices at this address?</p>{form}")
    )


async def unsubscribe(request: Request) -> Response:
    """RFC 8058 one-click: a mail client POSTs ``List-Unsubscribe=One-Click``; a browser the form."""
    rt: Runtime = request.app.state.rt
    subscription_id = await run_in_threadpool(subscriber_links.unsubscribe, rt, request.path_params["token"])
    return _page(request, "Unsubscribed", "You will get no more notices here.", subscription_id)


def _page(request: Request, title: str, words: str, subscription_id: str) -> Response:
    if "text/html" in request.headers.get("accept", ""):
        return HTMLResponse(_document(title, f"<p>{html.escape(words)}</p>"))
    body = msgspec.json.encode(SubscriberLinkOut(id=subscription_id, status=title.lower()))
    return Response(body, media_type="application/json")


def _document(title: str, content: str) -> str:
    return (
        f"<!doctype html><html><head><title>{html.escape(title)}</title></head><body>{content}</body></html>"
    )


def routes() -> list[BaseRoute]:
    return [
        DocumentedRoute("/subscriptions", subscribe, method="POST", doc=Doc(
            "Subscribe a webhook or an email address (confirmed by a link) to published notices",
            "subscriptions",
            None, body=schemas.NewSubscription, status=201, reply=SubscriptionOut)),
        DocumentedRoute("/subscriptions/confirm/{token}", confirm, method="GET", doc=Doc(
            "Confirm an email subscription (the link sent to the address)", "subscriptions", None,
            reply=SubscriberLinkOut)),
        DocumentedRoute("/unsubscribe/{token}", unsubscribe_page, method="GET", doc=Doc(
            "A page with a button that unsubscribes", "subscriptions", None, media_type="text/html")),
        DocumentedRoute("/unsubscribe/{token}", unsubscribe, method="POST", doc=Doc(
            "Unsubscribe (RFC 8058 one-click: List-Unsubscribe=One-Click)", "subscriptions", None,
            reply=SubscriberLinkOut)),
    ]  # fmt: skip
