"""One family of errors, each with a stable machine-readable ``code``.

    YaksokError
    ├── InvalidInput               bad values: ``invalid.slug``, ``time.nonexistent``, ...
    │   └── PolicyViolation        a rule of the launch's policy: ``policy.lead_time``, ...
    ├── NotFound                   ``launch.not_found``, ``notice.not_found``, ...
    ├── Conflict                   state clashes: ``notice.immutable``, ``launch.exists``, ...
    ├── Unavailable                a moment that passes by itself: ``waiting_room.opening``
    └── OutOfScope                 an operator limited to some launches acting beyond them

Every code is a ``Code`` declared once, in ``yaksok.domain.codes``; the kind of error it names
is part of its declaration, so raising ``NotFound`` with a conflict's code does not type-check.
The web layer adds the errors only HTTP has (bad request, unauthorized, forbidden, payload too
large, unsupported media type) with their codes in ``yaksok.web.errors``, which maps each kind
once to an HTTP status and ``application/problem+json``; the CLI prints ``code: message``.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Generic, Self, TypeVar

E = TypeVar("E", bound="YaksokError", covariant=True)


@dataclass(frozen=True)
class Code(Generic[E]):
    """A stable error code: the ``text`` clients match on, the ``kind`` of error that carries
    it (which decides its HTTP status), and a one-line ``meaning`` for the documentation."""

    text: str
    kind: type[E]
    meaning: str


class YaksokError(Exception):
    def __init__(
        self, message: str, *, code: Code[Self], details: Mapping[str, object] | None = None
    ) -> None:
        super().__init__(message)
        self.message = message
        self.code = code.text
        self.details: dict[str, object] = dict(details or {})  # JSON: the problem's details


class InvalidInput(YaksokError):
    pass


class PolicyViolation(InvalidInput):
    """Refused by the launch's policy; ``rules`` lists every rule broken, ``code`` the first."""

    def __init__(self, rules: list[Code[PolicyViolation]], message: str) -> None:
        texts = [rule.text for rule in rules]
        super().__init__(message, code=rules[0], details={"rules": texts})
        self.rules = texts


class NotFound(YaksokError):
    pass


class Conflict(YaksokError):
    pass


class Unavailable(YaksokError):
    """Not now, soon: retry after ``details.retry_after`` seconds (nothing was changed)."""


class OutOfScope(YaksokError):
    """A token or operator limited to some launches acted on another, or on all of them."""
