"""Reading a JSON request body: media type, size limit, well-formedness, then the schema.

Each failure has its own status and code, so a client can tell them apart:
415 ``request.unsupported_media_type``, 413 ``request.too_large``, 400 ``request.malformed_json``,
422 ``request.invalid`` (the message names the field path, e.g. ``$.titles.en``).
"""

from __future__ import annotations

from typing import TypeVar

import msgspec
from starlette.requests import Request

from yaksok.domain.errors import InvalidInput
from yaksok.web.errors import (
    REQUEST_INVALID,
    REQUEST_INVALID_PARAMETER,
    REQUEST_MALFORMED_JSON,
    REQUEST_TOO_LARGE,
    REQUEST_UNSUPPORTED_MEDIA_TYPE,
    BadRequest,
    PayloadTooLarge,
    UnsupportedMediaType,
)

T = TypeVar("T")


async def read_body(request: Request, decoder: msgspec.json.Decoder[T], limit: int) -> T:
    """The decoded body; an empty body reads as ``{}`` so all-optional bodies may be left out."""
    raw = await read_limited(request, limit)
    if not raw.strip():
        raw = b"{}"
    elif not is_json(request.headers.get("content-type", "")):
        raise UnsupportedMediaType(
            "send the body as Content-Type: application/json", code=REQUEST_UNSUPPORTED_MEDIA_TYPE
        )
    return decode(decoder, raw)


def is_json(content_type: str) -> bool:
    media = content_type.split(";", 1)[0].strip().lower()
    return media == "application/json" or (media.startswith("application/") and media.endswith("+json"))


async def read_limited(request: Request, limit: int) -> bytes:
    """The raw body, refused as soon as it is known to exceed ``limit`` bytes. Content-Length
    is checked first, then the bytes are counted, since a chunked body declares no length."""
    declared = request.headers.get("content-length")
    if declared is not None:
        if not declared.strip().isdigit():
            raise BadRequest("Content-Length must be a whole number", code=REQUEST_INVALID_PARAMETER)
        if int(declared) > limit:
            raise _too_large(limit)
    chunks: list[bytes] = []
    size = 0
    async for chunk in request.stream():
        size += len(chunk)
        if size > limit:
            raise _too_large(limit)
        chunks.append(chunk)
    return b"".join(chunks)


def _too_large(limit: int) -> PayloadTooLarge:
    return PayloadTooLarge(
        f"the body is larger than {limit} bytes", code=REQUEST_TOO_LARGE, details={"max_body_bytes": limit}
    )


def decode(decoder: msgspec.json.Decoder[T], raw: bytes) -> T:
    try:
        return decoder.decode(raw)
    except msgspec.ValidationError as exc:
        # msgspec checks types while parsing, so broken JSON can surface as a type error first.
        if not _well_formed(raw):
            raise _malformed() from exc
        raise InvalidInput(str(exc), code=REQUEST_INVALID) from exc
    except (msgspec.DecodeError, RecursionError) as exc:
        raise _malformed() from exc


def _well_formed(raw: bytes) -> bool:
    """Valid UTF-8 and JSON syntax; skipping into ``Raw`` checks the syntax without building
    values, so a number too large for a float still counts as well-formed."""
    try:
        raw.decode("utf-8")
        msgspec.json.decode(raw, type=msgspec.Raw)
    except (UnicodeDecodeError, msgspec.DecodeError, RecursionError):
        return False
    return True


def _malformed() -> BadRequest:
    return BadRequest("the body is not well-formed JSON", code=REQUEST_MALFORMED_JSON)
