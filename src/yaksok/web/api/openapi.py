"""``GET /openapi.json``: an OpenAPI 3.1 document built from the routes' own declarations.

Request body schemas come from the msgspec Structs the routes decode with, so what is
documented is exactly what is enforced; response schemas come from the ``responses`` Structs
the handlers return and the server encodes, so what is documented is exactly what is sent.
"""

from __future__ import annotations

import re
import types
from collections.abc import Iterable
from typing import get_args

import msgspec
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import BaseRoute

import yaksok
from yaksok.web.api.operation import JSON, Doc, DocumentedRoute
from yaksok.web.api.responses import HeldOut

_PARAM = re.compile(r"{(\w+)}")
_REF = "#/components/schemas/{name}"

PROBLEM: JSON = {
    "title": "Problem",
    "description": "Every error, as application/problem+json (RFC 9457) with a stable code.",
    "type": "object",
    "required": ["type", "title", "status", "code", "detail"],
    "properties": {
        "type": {"type": "string", "const": "about:blank"},
        "title": {"type": "string", "examples": ["Unprocessable"]},
        "status": {"type": "integer", "examples": [422]},
        "code": {"type": "string", "examples": ["policy.lead_time", "request.invalid", "launch.not_found"]},
        "detail": {"type": "string", "description": "a sentence for people"},
        "details": {
            "type": "object",
            "description": "more facts, e.g. rules: every policy rule broken",
            "additionalProperties": True,
        },
    },
}


def document(routes: Iterable[BaseRoute], server_url: str) -> JSON:
    documented = [route for route in routes if isinstance(route, DocumentedRoute)]
    # One call for requests and responses, so a type both use (an enum, say) is one component.
    types: set[object] = {route.doc.body for route in documented}
    types |= {reply for route in documented for reply in _replies(route.doc).values()}
    ordered = sorted(types - {None}, key=repr)
    refs, schemas = msgspec.json.schema_components(ordered, ref_template=_REF)
    type_refs = dict(zip(ordered, refs, strict=True))
    paths: dict[str, dict[str, JSON]] = {}
    for route in documented:
        for method in sorted((route.methods or set()) - {"HEAD"}):
            paths.setdefault(route.path, {})[method.lower()] = _operation(route, type_refs)
    return {
        "openapi": "3.1.0",
        "info": {
            "title": "yaksok",
            "version": yaksok.__version__,
            "description": "Launch promises, notices and the public ledger. Admin routes need "
            "Authorization: Bearer <token> (yaksok token create --role editor).",
        },
        "servers": [{"url": server_url}],
        "paths": paths,
        "components": {
            "schemas": {**schemas, "Problem": PROBLEM},
            "responses": {
                "Problem": {
                    "description": "An error",
                    "content": {
                        "application/problem+json": {"schema": {"$ref": _REF.format(name="Problem")}}
                    },
                }
            },
            "securitySchemes": {"bearer": {"type": "http", "scheme": "bearer"}},
        },
    }


def _operation(route: DocumentedRoute, type_refs: dict[object, JSON]) -> JSON:
    doc = route.doc
    operation: JSON = {
        "operationId": route.name,
        "summary": doc.summary,
        "tags": [doc.tag],
        "security": [] if doc.role is None else [{"bearer": []}],
        "parameters": _parameters(route.path, doc),
        "responses": {
            **{str(status): _success(doc, reply, type_refs) for status, reply in _replies(doc).items()},
            **{str(status): {"$ref": "#/components/responses/Problem"} for status in _errors(route)},
        },
    }
    if doc.role is not None:
        operation["description"] = f"Needs a token with the {doc.role.name.lower()} role or a higher one."
    if doc.body is not None:
        # A body whose fields are all optional may be left out (it reads as {}).
        required = any(field.required for field in msgspec.structs.fields(doc.body))
        content = {"application/json": {"schema": type_refs[doc.body]}}
        operation["requestBody"] = {"required": required, "content": content}
    return operation


def _parameters(path: str, doc: Doc) -> list[JSON]:
    in_path = [
        {"name": name, "in": "path", "required": True, "schema": {"type": "string"}}
        for name in _PARAM.findall(path)
    ]
    in_query = [
        {"name": name, "in": "query", "required": False, "description": text, "schema": {"type": "string"}}
        for name, text in doc.query
    ]
    return in_path + in_query


def _replies(doc: Doc) -> dict[int, object]:
    """The success body per status: a route that may hold a change for review answers ``HeldOut``
    with 202, its other reply with its own status."""
    members = get_args(doc.reply) if isinstance(doc.reply, types.UnionType) else ()
    if HeldOut in members:
        (done,) = [member for member in members if member is not HeldOut]
        return {doc.status: done, 202: HeldOut}
    return {doc.status: doc.reply}


def _success(doc: Doc, reply: object, type_refs: dict[object, JSON]) -> JSON:
    if reply is not None:
        schema = type_refs[reply]
    elif doc.media_type == "application/json":
        schema = {"type": "object"}
    else:
        schema = {"type": "string"}
    description = "Success"
    if doc.media_type == "application/x-ndjson":
        # OpenAPI 3.1 cannot say "a stream of these"; the schema is one line's, and this says so.
        description = "Newline-delimited JSON: each line is one object matching the schema"
    return {"description": description, "content": {doc.media_type: {"schema": schema}}}


def _errors(route: DocumentedRoute) -> list[int]:
    doc, statuses = route.doc, set()
    if doc.role is not None:
        statuses |= {401, 403}
    if doc.body is not None:
        statuses |= {400, 409, 413, 415, 422}
    if _PARAM.search(route.path):
        statuses.add(404)
    if doc.query:
        statuses.add(400)
    return sorted(statuses)


def openapi(request: Request) -> Response:
    body = document(request.app.routes, request.app.state.settings.public_url)
    return Response(msgspec.json.encode(body), media_type="application/json")


def routes() -> list[BaseRoute]:
    doc = Doc("This document: every route of the JSON API and the public ledger", "meta", None)
    return [DocumentedRoute("/openapi.json", openapi, method="GET", doc=doc, name="openapi")]
