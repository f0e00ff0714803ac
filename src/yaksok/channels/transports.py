"""Every outbound channel, in one table: the delivery worker, the subscription service, the
admin API, the docs and the tests all read ``REGISTRY``. A new channel is one transport
(``channels.outbound.Transport``) and one row here."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass

from yaksok.channels import chat, email
from yaksok.channels.bluesky import BlueskyTransport
from yaksok.channels.mastodon import MastodonTransport
from yaksok.channels.outbound import Transport, TransportOptions
from yaksok.channels.social import social_body
from yaksok.channels.webhook import WebhookTransport
from yaksok.channels.webhook_events import event_body, manage_parts
from yaksok.channels.x import XTransport
from yaksok.domain.launch import Milestone
from yaksok.domain.notice import Notice

# A notice as one channel sends it, in one language: (notice, language, base URL, milestones).
Render = Callable[[Notice, str, str, Mapping[str, Milestone]], bytes]


@dataclass(frozen=True)
class Channel:
    name: str  # as notices and subscriptions name it
    summary: str  # what it sends, for the docs and the admin API
    target: str  # what a subscriber gives as its address
    signed: bool  # whether subscribers get a secret to verify messages with
    transport: Callable[[TransportOptions], Transport]
    render: Render
    confirmed: bool = True  # False: a new subscription is held until its owner confirms it
    # The rendered body cut where each subscriber's manage token goes, given the manage links'
    # prefix (``webhook_events.manage_parts``); None: every subscriber gets the body as rendered.
    personal: Callable[[bytes, str], tuple[bytes, bytes]] | None = None


# Web Push brings aiohttp and pywebpush: loaded when a push is first rendered or sent, so that
# commands that never push (a replay, the CLI) start without them.
def _web_push(options: TransportOptions) -> Transport:
    from yaksok.channels.webpush import WebPushTransport

    return WebPushTransport(options)


def _push_body(notice: Notice, lang: str, base_url: str, milestones: Mapping[str, Milestone]) -> bytes:
    from yaksok.channels.webpush import push_body

    return push_body(notice, lang, base_url, milestones)


REGISTRY: dict[str, Channel] = {
    channel.name: channel
    for channel in (
        Channel(
            name="webhook",
            summary="an HTTP POST of each event, signed per Standard Webhooks",
            target="an http(s) URL",
            signed=True,
            transport=WebhookTransport,
            render=event_body,
            personal=manage_parts,
        ),
        Channel(
            name="email",
            summary="a multipart (text and HTML) email over SMTP, with one-click unsubscribe (RFC 8058)",
            target="an email address, confirmed by a link sent to it (double opt-in)",
            signed=False,
            transport=email.EmailTransport,
            render=email.notice_body,
            confirmed=False,
        ),
        Channel(
            name="mastodon",
            summary="a status (a numbered thread when long) on an operator's Mastodon account, idempotent",
            target="the instance's base URL; the account's access token is given as credentials",
            signed=False,
            transport=MastodonTransport,
            render=social_body,
        ),
        Channel(
            name="bluesky",
            summary="a post (a thread in one applyWrites when long) on an operator's Bluesky account",
            target="the account's PDS base URL (https://bsky.social); 'handle app-password' as credentials",
            signed=False,
            transport=BlueskyTransport,
            render=social_body,
        ),
        Channel(
            name="x",
            summary="a post (a numbered thread when long) on an operator's X account",
            target="the API's base URL (https://api.x.com); an OAuth 2.0 user access token as credentials",
            signed=False,
            transport=XTransport,
            render=social_body,
        ),
        Channel(
            name="slack",
            summary="Block Kit to a Slack-compatible incoming webhook (Slack, Mattermost, Discord /slack)",
            target="the incoming webhook's URL (set up by an operator)",
            signed=False,
            transport=chat.ChatTransport,
            render=chat.slack_body,
        ),
        Channel(
            name="teams",
            summary="an Adaptive Card to a Microsoft Teams workflow webhook",
            target="the workflow webhook's URL (set up by an operator)",
            signed=False,
            transport=chat.ChatTransport,
            render=chat.teams_body,
        ),
        Channel(
            name="webpush",
            summary="a browser notification by Web Push (RFC 8030), encrypted (RFC 8291), signed (VAPID)",
            target="a push service endpoint (https), with the browser's keys p256dh and auth",
            signed=False,
            transport=_web_push,
            render=_push_body,
        ),
    )
}
