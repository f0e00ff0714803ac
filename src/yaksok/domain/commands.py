"""What callers ask of the services, as typed values: a route, the command line and the replay
runner build the same command and hand it to the same service, ``service(rt, command)``."""

from __future__ import annotations

from dataclasses import dataclass

from yaksok.domain.notice import NoticeKind

# Delivery


@dataclass(frozen=True, kw_only=True)
class Subscribe:
    """Be told of published notices on a channel: a webhook at ``target`` (a URL)."""

    channel: str
    target: str
    language: str = "en"
    launches: tuple[str, ...] = ()  # empty: every launch
    kinds: tuple[NoticeKind, ...] = ()  # empty: every kind
