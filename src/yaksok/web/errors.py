"""Every error leaves as ``application/problem+json`` (RFC 9457) with a stable ``code``."""

from __future__ import annotations

import logging
from typing import Any

import msgspec
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import Response

from yaksok.domain.errors import YaksokError

log = logging.getLogger("yaksok.web")

_TITLES = {
    400: "Bad request",
    401: "Unauthorized",
    403: "Forbidden",
    404: "Not found",
    405: "Method not allowed",
    409: "Conflict",
    413: "Payload too large",
    415: "Unsupported media type",
    422: "Unprocessable",
    429: "Too many requests",
    500: "Internal error",
}


def problem(status: int, code: str, detail: str, **extra: Any) -> Response:
    body = {
        "type": "about:blank",
        "title": _TITLES.get(status, "Error"),
        "status": status,
        "code": code,
        "detail": detail,
        **extra,
    }
    return Response(msgspec.json.encode(body), status_code=status, media_type="application/problem+json")


async def yaksok_error(_request: Request, exc: Exception) -> Response:
    assert isinstance(exc, YaksokError)
    extra = {"details": exc.details} if exc.details else {}
    return problem(exc.status, exc.code, exc.message, **extra)


async def http_error(_request: Request, exc: Exception) -> Response:
    assert isinstance(exc, HTTPException)
    code = {404: "not_found", 405: "method_not_allowed"}.get(exc.status_code, f"http.{exc.status_code}")
    return problem(exc.status_code, code, str(exc.detail))


async def unexpected_error(request: Request, exc: Exception) -> Response:
    log.exception("unexpected error on %s %s", request.method, request.url.path, exc_info=exc)
    return problem(500, "internal", "an unexpected error occurred; it has been logged")


EXCEPTION_HANDLERS = {YaksokError: yaksok_error, HTTPException: http_error, Exception: unexpected_error}
