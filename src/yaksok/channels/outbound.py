"""The one shape of every outbound channel: a transport that delivers and says what came of it.

A transport is given a batch of ``Outgoing`` messages, already rendered (``channels.render``
renders for every channel alike), and answers one ``Outcome`` per message: ``Delivered``,
``RetryLater`` or ``GiveUp`` (``domain.delivery``). It never raises for a failed delivery; the
delivery worker records the outcome and schedules the retry. The transports are listed in one
table, ``channels.transports.REGISTRY``.
"""

from __future__ import annotations

import asyncio
from abc import ABC, abstractmethod
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import TYPE_CHECKING, NamedTuple

from yaksok.domain.delivery import Outcome
from yaksok.domain.subscription import IPNetwork

if TYPE_CHECKING:
    from yaksok.channels.social import SocialPosts


class Outgoing(NamedTuple):  # a tuple: a fan-out makes one per subscriber
    """One message on its way: ``id`` is the same on every attempt (receivers de-duplicate on it)."""

    id: str
    target: str  # the subscriber's address on the channel: a webhook's URL
    secret: str  # what the channel signs with, if it signs
    body: bytes  # the rendered message


@dataclass(frozen=True)
class Smtp:
    """Where email is handed over: an SMTP server, how to secure the connection, who sends."""

    host: str = "localhost"
    port: int = 25
    security: str = "none"  # "starttls", "tls" (implicit, port 465) or "none"
    username: str = ""  # empty: no AUTH
    password: str = ""
    sender: str = "yaksok@localhost"  # the From address
    timeout: float = 10.0
    sessions: int = 4  # a batch goes over up to this many SMTP connections, each carrying many messages


@dataclass(frozen=True)
class TransportOptions:
    """What transports are built with, from ``config.Settings``."""

    allow: tuple[IPNetwork, ...] = ()  # private addresses a webhook may still reach
    timeout: float = 10.0  # seconds to wait for a receiver's answer
    connections: int = 64  # at most this many connections to one receiver
    pipeline: int = 8  # HTTP/1.1 requests sent ahead on one connection (channels.webhook)
    now: Callable[[], datetime] = field(default=lambda: datetime.now(UTC))  # the runtime's clock
    smtp: Smtp = Smtp()
    base_url: str = ""  # the public URL, for links a message carries (unsubscribe)
    social: SocialPosts | None = None  # social accounts' credentials and posts (channels.social)
    vapid_private_key: str = ""  # PEM: signs browser push messages (RFC 8292); none: they are not sent
    vapid_subject: str = "mailto:yaksok@localhost"  # who push services may contact (VAPID ``sub``)


class Transport(ABC):
    """Delivers messages on one channel."""

    async def deliver(self, message: Outgoing) -> Outcome:
        """Try once to deliver ``message``."""
        [outcome] = await self.deliver_many([message])
        return outcome

    @abstractmethod
    async def deliver_many(self, messages: Sequence[Outgoing]) -> list[Outcome]:
        """Try once to deliver each message, side by side; one outcome each, in order. A slow or
        dead receiver delays only its own messages, up to the timeout."""

    def check_target(self, target: str) -> str:
        """The target as stored, or ``InvalidInput`` saying why it cannot be sent to."""
        return target

    async def aclose(self) -> None:  # noqa: B027 (a transport without connections has nothing to close)
        """Release what the transport holds."""


async def deliver_each(transport: Transport, messages: Sequence[Outgoing]) -> list[Outcome]:
    """``deliver_many`` for a transport that sends one message at a time."""
    return list(await asyncio.gather(*(transport.deliver(message) for message in messages)))
