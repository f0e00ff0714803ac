"""How an admin API route is declared: the role it needs, its body type, its documentation.

``operation()`` is the only way the API builds a route, and it cannot build one without a
role: every request is authorized before its body is even read (deny by default). The same
declaration feeds ``/openapi.json``, so the documentation cannot drift from the routes: the
request schema is the body type the route decodes with, the response schema is the return
annotation of its handler (a ``responses`` Struct or a list of them), which mypy holds the
handler to.
"""

from __future__ import annotations

import dataclasses
import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from enum import StrEnum
from typing import Any, Generic, TypeVar, cast, get_type_hints

import msgspec
from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from yaksok.config import Settings
from yaksok.domain import codes
from yaksok.domain.errors import Code, NotFound
from yaksok.services import auth
from yaksok.services.auth import Actor, Role
from yaksok.services.runtime import Runtime
from yaksok.web.api.body import read_body
from yaksok.web.api.responses import HeldOut
from yaksok.web.errors import (
    AUTH_FORBIDDEN,
    AUTH_INVALID_TOKEN,
    AUTH_REQUIRED,
    NOT_FOUND,
    REQUEST_INVALID_PARAMETER,
    BadRequest,
    Forbidden,
    Unauthorized,
)

JSON = dict[str, Any]
Reply = msgspec.Struct | Sequence[msgspec.Struct] | str  # str: a body of the route's media type
B = TypeVar("B")
E = TypeVar("E", bound=StrEnum)

# Ids in paths are slugs or generated ids; anything else cannot name a stored thing, and
# refusing it here keeps odd bytes (NUL, say) away from the database drivers.
_ID = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]{0,139}")
_NOT_FOUND = {
    "slug": codes.LAUNCH_NOT_FOUND,
    "milestone_id": codes.MILESTONE_NOT_FOUND,
    "notice_id": codes.NOTICE_NOT_FOUND,
    "cadence_id": codes.CADENCE_NOT_FOUND,
    "token_id": codes.TOKEN_NOT_FOUND,
    "proposal_id": codes.PROPOSAL_NOT_FOUND,
    "question_id": codes.QUESTION_NOT_FOUND,
}


@dataclass(frozen=True)
class Doc:
    """What ``/openapi.json`` says about a route."""

    summary: str
    tag: str
    role: Role | None  # None: public, no token
    body: type[msgspec.Struct] | None = None
    status: int = 200
    query: tuple[tuple[str, str], ...] = ()  # (name, description)
    media_type: str = "application/json"
    # The success body's type, e.g. LaunchOut or list[LaunchOut] (for NDJSON, one line's type);
    # None leaves it undescribed beyond the media type.
    reply: object = None


class DocumentedRoute(Route):
    """A route that carries its ``Doc``; its name (the handler's) is the OpenAPI operationId."""

    def __init__(
        self, path: str, endpoint: Callable[..., Any], *, method: str, doc: Doc, name: str | None = None
    ) -> None:
        super().__init__(path, endpoint, methods=[method], name=name)
        self.doc = doc


@dataclass(frozen=True)
class Call(Generic[B]):
    """One authorized API request, as a handler sees it."""

    rt: Runtime
    settings: Settings
    body: B
    path: Mapping[str, str]
    query: Mapping[str, str]
    actor: str | None = None  # the id of the token that authorized the request

    def enum_param(self, name: str, kind: type[E]) -> E | None:
        raw = self.query.get(name)
        if raw is None or raw == "":
            return None
        try:
            return kind(raw)
        except ValueError:
            choices = ", ".join(member.value for member in kind)
            raise BadRequest(f"{name} must be one of {choices}", code=REQUEST_INVALID_PARAMETER) from None

    def int_param(self, name: str, default: int, low: int, high: int) -> int:
        raw = self.query.get(name)
        if raw is None or raw == "":
            return default
        if not raw.isascii() or not raw.isdigit() or not low <= int(raw) <= high:
            raise BadRequest(
                f"{name} must be a whole number from {low} to {high}", code=REQUEST_INVALID_PARAMETER
            )
        return int(raw)

    def id_param(self, name: str, not_found: Code[NotFound]) -> str | None:
        raw = self.query.get(name)
        if raw is None or raw == "":
            return None
        if not _ID.fullmatch(raw):
            raise NotFound(f"no such {name} {raw!r}", code=not_found)
        return raw


def operation(
    method: str,
    path: str,
    handler: Callable[[Call[B]], Reply],
    *,
    role: Role,
    summary: str,
    tag: str,
    body: type[B] | None = None,
    status: int = 200,
    query: tuple[tuple[str, str], ...] = (),
    media_type: str = "application/json",
) -> DocumentedRoute:
    """An authorized JSON route: authorize → read the body → run ``handler`` in a thread → JSON.
    With another ``media_type`` (text/csv, say) the handler returns the body as a ``str``."""
    decoder = None if body is None else msgspec.json.Decoder(body)

    async def endpoint(request: Request) -> Response:
        rt: Runtime = request.app.state.rt
        settings: Settings = request.app.state.settings
        actor = await run_in_threadpool(_authorize, rt, request.headers.get("authorization"), role)
        _check_path(request.path_params)
        # A route without a body type has body None, which is what its handler's Call[None] says.
        decoded = (
            cast(B, None) if decoder is None else await read_body(request, decoder, settings.max_body_bytes)
        )
        acting = dataclasses.replace(rt, actor=actor.token_id, scope=actor.launches)
        call = Call(acting, settings, decoded, request.path_params, request.query_params, actor.token_id)
        reply = await run_in_threadpool(handler, call)
        if isinstance(reply, str):
            return Response(reply, status_code=status, media_type=media_type)
        # A change held for review is accepted, not done, whichever route asked for it.
        code = 202 if isinstance(reply, HeldOut) else status
        return Response(msgspec.json.encode(reply), status_code=code, media_type="application/json")

    struct = cast("type[msgspec.Struct] | None", body)
    reply = _reply_type(handler) if media_type == "application/json" else None
    doc = Doc(summary, tag, role, struct, status, query, media_type, reply)
    return DocumentedRoute(path, endpoint, method=method, doc=doc, name=handler.__name__)


def _authorize(rt: Runtime, authorization: str | None, needed: Role) -> Actor:
    """Check an ``Authorization: Bearer …`` header against the role an action needs."""
    if not authorization or not authorization.lower().startswith("bearer "):
        raise Unauthorized(
            "this action needs an admin token: Authorization: Bearer <token>", code=AUTH_REQUIRED
        )
    actor = auth.token_holder(rt, authorization[7:].strip())
    if actor is None:
        raise Unauthorized("unknown or revoked token", code=AUTH_INVALID_TOKEN)
    if not auth.permits(actor, needed):
        raise Forbidden(
            f"this action needs the {needed.name.lower()} role; the token has {actor.role.name.lower()}",
            code=AUTH_FORBIDDEN,
        )
    return actor


def _reply_type(handler: Callable[..., Reply]) -> object:
    """The handler's return annotation, resolved; it is what ``/openapi.json`` documents."""
    reply = get_type_hints(handler).get("return")
    if reply is None:
        raise TypeError(f"{handler.__qualname__} needs a return annotation: it documents the response")
    return reply


def _check_path(params: Mapping[str, str]) -> None:
    for name, value in params.items():
        if not _ID.fullmatch(value):
            raise NotFound(f"no such {name} {value!r}", code=_NOT_FOUND.get(name, NOT_FOUND))
