"""Roles limited to some launches: a store team edits its own launch only.

A token or operator account may name the launches it acts on. The admin API and the console
put them on the Runtime (``rt.scope``) beside the actor, and every service that acts on a
launch asks here first, so both doors refuse alike, with ``403 scope.other_launch``. Acts that
concern every launch (creating a launch, tokens, subscribers, social accounts, notices of no
launch, the audit trail) need a role limited to none: ``403 scope.all_launches``.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import TypeVar

from yaksok.domain import codes
from yaksok.domain.errors import InvalidInput, OutOfScope
from yaksok.services.runtime import Runtime
from yaksok.store.port import Transaction

T = TypeVar("T")


def permits(rt: Runtime, slug: str | None) -> bool:
    """Whether the acting role may act on the launch ``slug`` (None: on no launch in particular)."""
    return rt.scope is None or (slug is not None and slug in rt.scope)


def require_launch(rt: Runtime, slug: str | None) -> None:
    """Refuse, unless the acting role may act on ``slug``; None (a notice of no launch, say)
    concerns every launch."""
    if slug is None:
        require_all(rt, "a notice of no launch")
    elif not permits(rt, slug):
        raise OutOfScope(
            f"this role is limited to {_names(rt)}; launch {slug!r} is not one of them",
            code=codes.SCOPE_OTHER_LAUNCH,
            details={"launch": slug, "launches": sorted(rt.scope or ())},
        )


def require_all(rt: Runtime, act: str) -> None:
    """Refuse ``act`` (which concerns every launch) to a role limited to some launches."""
    if rt.scope is not None:
        raise OutOfScope(
            f"{act} concerns every launch; this role is limited to {_names(rt)}",
            code=codes.SCOPE_ALL_LAUNCHES,
            details={"launches": sorted(rt.scope)},
        )


def visible(rt: Runtime, items: Iterable[T], slug_of: Callable[[T], str | None]) -> list[T]:
    """The items of launches the acting role may act on (all of them for an unscoped role)."""
    return [item for item in items if rt.scope is None or slug_of(item) in rt.scope]


def chosen(tx: Transaction, launches: Iterable[str] | None) -> tuple[str, ...] | None:
    """The launches a new token or account is limited to, sorted, each an existing launch;
    None (no limit) stays None, and an empty choice is refused rather than read as none."""
    if launches is None:
        return None
    slugs = tuple(sorted({slug.strip() for slug in launches}))
    if not slugs or "" in slugs:
        raise InvalidInput("a limit to some launches names at least one launch", code=codes.INVALID_SCOPE)
    for slug in slugs:
        if tx.launches.get(slug) is None:
            raise InvalidInput(f"no launch {slug!r} to limit the role to", code=codes.INVALID_SCOPE)
    return slugs


def _names(rt: Runtime) -> str:
    return ", ".join(sorted(rt.scope or ()))
