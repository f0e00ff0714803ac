"""Every outbound channel, in one table: the delivery worker, the subscription service, the
admin API, the docs and the tests all read ``REGISTRY``. A new channel is one transport
(``channels.outbound.Transport``) and one row here."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from yaksok.channels.outbound import Transport, TransportOptions
from yaksok.channels.webhook import WebhookTransport


@dataclass(frozen=True)
class Channel:
    name: str  # as notices and subscriptions name it
    summary: str  # what it sends, for the docs and the admin API
    target: str  # what a subscriber gives as its address
    signed: bool  # whether subscribers get a secret to verify messages with
    transport: Callable[[TransportOptions], Transport]


REGISTRY: dict[str, Channel] = {
    channel.name: channel
    for channel in (
        Channel(
            name="webhook",
            summary="an HTTP POST of each event, signed per Standard Webhooks",
            target="an http(s) URL",
            signed=True,
            transport=WebhookTransport,
        ),
    )
}
