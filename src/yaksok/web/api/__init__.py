"""The admin JSON API under ``/api/v1`` (bearer tokens), the public ledger, and ``/openapi.json``."""

from __future__ import annotations

from starlette.routing import BaseRoute

from yaksok.web.api import (
    launches,
    ledger,
    notices,
    openapi,
    preorder,
    proposals,
    push,
    questions,
    social,
    stock,
    subscribers,
    subscriptions,
    tokens,
    waiting_room,
)


def routes() -> list[BaseRoute]:
    return [
        *launches.routes(),
        *preorder.routes(),
        *waiting_room.routes(),
        *stock.routes(),
        *notices.routes(),
        *proposals.routes(),
        *questions.routes(),
        *tokens.routes(),
        *ledger.routes(),
        *subscriptions.routes(),
        *push.routes(),
        *subscribers.routes(),
        *social.routes(),
        *openapi.routes(),
    ]
