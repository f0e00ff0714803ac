"""Subscriptions: someone who asked to be told, where (a channel and its target) and of what.

A subscriber chooses launches and notice kinds (none chosen: all of them) and a language. A
webhook subscriber's target is a URL, signed to with its ``whsec_`` secret (Standard Webhooks);
an email subscriber's is an address, held (``AWAITING_CONFIRMATION``) until its owner confirms,
and its ``secret`` is the token of the unsubscribe link every message carries. A browser push
subscriber's target is its push service endpoint, its ``secret`` the browser's keys.
"""

from __future__ import annotations

import ipaddress
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import NamedTuple
from urllib.parse import urlsplit

from yaksok.domain import codes
from yaksok.domain.errors import InvalidInput
from yaksok.domain.notice import Notice, NoticeKind

LANGUAGES = ("ko", "en")
IPNetwork = ipaddress.IPv4Network | ipaddress.IPv6Network
IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address
# Why a new email subscription is not sent to yet: it is held until its owner confirms (double opt-in).
AWAITING_CONFIRMATION = "awaiting confirmation"
UNSUBSCRIBED = "unsubscribed"
# Why an endpoint is not sent to: an operator paused it (``POST /api/v1/subscriptions/{id}/pause``).
PAUSED = "paused"
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
    disabled_at: datetime | None = None
    disabled_reason: str = ""

    def __post_init__(self) -> None:
        if self.language not in LANGUAGES:
            raise InvalidInput(
                f"language must be one of {', '.join(LANGUAGES)}, not {self.language!r}",
                code=codes.INVALID_LANGUAGE,
            )

    def wants(self, notice: Notice) -> bool:
        """Whether this subscriber is to be told of ``notice``."""
        return self.disabled_at is None and _wants(self.channel, self.launches, self.kinds, notice)

    @property
    def state(self) -> str:
        """active, paused (by an operator), unconfirmed (email awaiting its owner) or disabled."""
        if self.disabled_at is None:
            return "active"
        if self.disabled_reason == PAUSED:
            return "paused"
        if self.disabled_reason == AWAITING_CONFIRMATION:
            return "unconfirmed"
        return "disabled"

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


def rotated(new: str, stored: str, until: datetime) -> str:
    """A secret as stored during a rotation: the new one, the one it replaces, and when that one
    stops signing (Unix seconds), space-separated (``signing_secrets`` reads it)."""
    return f"{new} {stored.split()[0]} {int(until.timestamp())}"


def signing_secrets(stored: str, now: datetime) -> str:
    """The secrets that sign now, space-separated: the newest, and the one it replaced while its
    rotation window lasts."""
    if " " not in stored:
        return stored
    new, old, until = stored.split()
    return f"{new} {old}" if now.timestamp() < int(until) else new


def rotation_ends(stored: str) -> datetime | None:
    """When the secret a rotation replaced stops signing; None if no rotation is stored."""
    parts = stored.split()
    return datetime.fromtimestamp(int(parts[2]), tz=UTC) if len(parts) == 3 else None


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
