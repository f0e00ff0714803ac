"""One family of errors, each with a stable machine-readable ``code`` and an HTTP status.

    YaksokError
    ├── InvalidInput (422)         bad values: ``invalid``, ``time.nonexistent``, ...
    │   └── PolicyViolation (422)  a rule of the launch's policy: ``policy.lead_time``, ...
    ├── BadRequest (400)           malformed requests: ``request.malformed_json``, ...
    ├── Unauthorized (401) / Forbidden (403)
    ├── NotFound (404)
    ├── Conflict (409)             state clashes: ``notice.immutable``, ``already_exists``, ...
    └── PayloadTooLarge (413)

The web layer maps them once to ``application/problem+json``; the CLI prints them.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, ClassVar


class YaksokError(Exception):
    status: ClassVar[int] = 400
    default_code: ClassVar[str] = "error"

    def __init__(
        self, message: str, *, code: str | None = None, details: Mapping[str, Any] | None = None
    ) -> None:
        super().__init__(message)
        self.message = message
        self.code = code or self.default_code
        self.details: dict[str, Any] = dict(details or {})


class InvalidInput(YaksokError):
    status = 422
    default_code = "invalid"


class PolicyViolation(InvalidInput):
    """Refused by the launch's policy; ``rules`` lists every rule broken, ``code`` the first."""

    def __init__(self, rules: list[str], message: str) -> None:
        super().__init__(message, code=rules[0], details={"rules": rules})
        self.rules = rules


class BadRequest(YaksokError):
    status = 400
    default_code = "request.invalid"


class Unauthorized(YaksokError):
    status = 401
    default_code = "auth.required"


class Forbidden(YaksokError):
    status = 403
    default_code = "auth.forbidden"


class NotFound(YaksokError):
    status = 404
    default_code = "not_found"


class Conflict(YaksokError):
    status = 409
    default_code = "conflict"


class PayloadTooLarge(YaksokError):
    status = 413
    default_code = "request.too_large"
