"""Subscriptions: someone who asked to be told, where (a channel and its target) and of what.

A subscriber chooses launches and notice kinds (none chosen: all of them) and a language. A
webhook subscriber's target is a URL, signed to with its ``whsec_`` secret (Standard Webhooks);
an email subscriber's is an address, held (``awaiting_confirmation``) until its owner confirms,
and its ``secret`` is the token of the unsubscribe link every message carries.

A subscription's state is its own columns: ``awaiting_confirmation`` (an email not yet
confirmed), ``paused_at`` (an operator paused it), ``disabled_at`` with ``disabled_reason``
(stopped for good: unsubscribed, ``410 Gone``, failing too long); and during a secret rotation,
``previous_secret`` signs too until ``previous_secret_until``. A browser push
subscriber's target is its push service endpoint, its ``secret`` the browser's keys.
"""

from __future__ import annotations

import ipaddress
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from typing import NamedTuple
from urllib.parse import urlsplit

from yaksok.domain import codes
from yaksok.domain.errors import InvalidInput
from yaksok.domain.notice import Notice, NoticeKind
from yaksok.domain.texts import LANGUAGES as LANGUAGES

IPNetwork = ipaddress.IPv4Network | ipaddress.IPv6Network
IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address
UNSUBSCRIBED = "unsubscribed"
STATES = ("active", "paused", "unconfirmed", "disabled")
_TOLD_TO_EVERY_FOLLOWER = frozenset({NoticeKind.CHANGE, NoticeKind.APOLOGY})


@dataclass(frozen=True)
class Subscription:
    id: str
    channel: str  # a name in channels.transports.REGISTRY
    target: str  # where the channel sends: a webhook's URL, an email address
    # a webhook's signing secret (``whsec_`` + base64); an email's unsubscribe token; a browser push
    # subscription's keys, ``p256dh.auth`` (base64url)
    secret: str
    language: str
    created_at: datetime
    launches: tuple[str, ...] = ()  # empty: every launch
    kinds: tuple[NoticeKind, ...] = ()  # empty: every kind
    disabled_at: datetime | None = None  # stopped for good (unsubscribed, 410 Gone, failing too long)
    disabled_reason: str = ""
    awaiting_confirmation: bool = False  # an email subscription its owner has not confirmed yet
    paused_at: datetime | None = None  # paused by an operator until resumed
    previous_secret: str = ""  # the secret a rotation replaced, signing too until previous_secret_until
    previous_secret_until: datetime | None = None
    contact: str = ""  # an email address of the endpoint's owner, told when it fails (webhooks)
    failing_since: datetime | None = None  # the first failed attempt since the last delivery
    failure_warned_at: datetime | None = None  # when its owner was warned it will be disabled

    def __post_init__(self) -> None:
        if self.language not in LANGUAGES:
            raise InvalidInput(
                f"language must be one of {', '.join(LANGUAGES)}, not {self.language!r}",
                code=codes.INVALID_LANGUAGE,
            )

    def wants(self, notice: Notice) -> bool:
        """Whether this subscriber is to be told of ``notice``."""
        return self.enabled and _wants(self.channel, self.launches, self.kinds, notice)

    @property
    def enabled(self) -> bool:
        """Sent to: confirmed, not paused, not disabled."""
        return self.disabled_at is None and not self.awaiting_confirmation and self.paused_at is None

    @property
    def state(self) -> str:
        """active, paused (by an operator), unconfirmed (email awaiting its owner) or disabled."""
        if self.disabled_at is not None:
            return "disabled"
        if self.awaiting_confirmation:
            return "unconfirmed"
        if self.paused_at is not None:
            return "paused"
        return "active"

    def signing_secrets(self, now: datetime) -> str:
        """The secrets that sign now (see ``signing_secrets``)."""
        return signing_secrets(self.secret, self.previous_secret, self.previous_secret_until, now)

    def would_want(self, notice: Notice) -> bool:
        """Whether ``notice`` is one this subscriber chose, enabled or not."""
        return _wants(self.channel, self.launches, self.kinds, notice)


class Recipient(NamedTuple):  # a tuple: a fan-out reads one per subscriber
    """What a fan-out needs of an enabled subscription."""

    id: str
    channel: str
    target: str
    secret: str
    language: str
    launches: tuple[str, ...]
    kinds: tuple[NoticeKind, ...]
    previous_secret: str = ""
    previous_secret_until: datetime | None = None

    def wants(self, notice: Notice) -> bool:
        """Whether this subscriber is to be told of ``notice``."""
        return _wants(self.channel, self.launches, self.kinds, notice)


def _wants(channel: str, launches: tuple[str, ...], kinds: tuple[NoticeKind, ...], notice: Notice) -> bool:
    if channel not in notice.channels:
        return False
    if launches and notice.launch_slug not in launches:
        return False
    # A change of promise (and its apology) reaches everyone told of the old time, whatever kinds
    # they chose: anyone following the launch was told of it, or reminded of it.
    if notice.kind in _TOLD_TO_EVERY_FOLLOWER and notice.launch_slug is not None:
        return True
    return not kinds or notice.kind in kinds


def signing_secrets(secret: str, previous: str, until: datetime | None, now: datetime) -> str:
    """The secrets that sign now, space-separated: the newest, and the one it replaced while its
    rotation window lasts."""
    if previous and until is not None and now < until:
        return f"{secret} {previous}"
    return secret


def webhook_url(url: str) -> tuple[str, int, str]:
    """The host, port and path of a webhook URL (``subscription.url_invalid`` if it is not one)."""
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.hostname or parts.username or parts.password:
        raise InvalidInput(
            f"a webhook URL is http(s)://host/path without credentials, not {url[:80]!r}",
            code=codes.SUBSCRIPTION_URL_INVALID,
        )
    try:
        port = parts.port or (443 if parts.scheme == "https" else 80)
    except ValueError:
        raise InvalidInput(
            f"the port of {url[:80]!r} is not a port", code=codes.SUBSCRIPTION_URL_INVALID
        ) from None
    path = (parts.path or "/") + (f"?{parts.query}" if parts.query else "")
    return parts.hostname, port, path


def allowed_networks(entries: Iterable[str]) -> tuple[IPNetwork, ...]:
    """Networks from addresses or CIDRs (``127.0.0.1``, ``10.0.0.0/8``); ValueError names a bad one."""
    return tuple(ipaddress.ip_network(entry.strip(), strict=False) for entry in entries if entry.strip())


def refusal(address: str, allowed: Iterable[IPNetwork]) -> str | None:
    """Why a webhook may not be sent to ``address`` (server-side request forgery), or None.

    Private, loopback, link-local, multicast, reserved and unspecified addresses are refused
    unless an allowed network holds them."""
    ip: IPAddress = ipaddress.ip_address(address.split("%", 1)[0])
    if isinstance(ip, ipaddress.IPv6Address) and ip.ipv4_mapped is not None:
        ip = ip.ipv4_mapped
    if any(ip in network for network in allowed if network.version == ip.version):
        return None
    for what, refused in (
        ("loopback", ip.is_loopback),
        ("link-local", ip.is_link_local),
        ("private", ip.is_private),
        ("multicast", ip.is_multicast),
        ("reserved", ip.is_reserved or ip.is_unspecified),
    ):
        if refused:
            return f"{address} is a {what} address"
    return None
