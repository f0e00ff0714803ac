"""Browser push subscriptions: a visitor presses "remind me" on a launch page and is told, in the
browser, of that launch's reminders and changes, without giving an address. The browser's
``PushSubscription`` is the subscription: its endpoint is the target, its keys the secret."""

from __future__ import annotations

import hmac

from yaksok.channels.outbound import TransportOptions
from yaksok.channels.webpush import push_keys
from yaksok.domain import codes
from yaksok.domain.commands import Subscribe
from yaksok.domain.errors import NotFound
from yaksok.domain.notice import NoticeKind
from yaksok.domain.subscription import UNSUBSCRIBED, Subscription
from yaksok.services import delivery
from yaksok.services.push_keys import vapid_key
from yaksok.services.runtime import Runtime

# Reminders are announcements; a change of promise (and its apology) reaches every follower anyway.
PUSH_KINDS = (NoticeKind.ANNOUNCEMENT, NoticeKind.CHANGE)


def application_server_key(rt: Runtime) -> str:
    """The public VAPID key a page gives ``PushManager.subscribe`` (base64url)."""
    return vapid_key(rt).public_key


def subscribe(
    rt: Runtime, slug: str, endpoint: str, p256dh: str, auth: str, language: str, options: TransportOptions
) -> Subscription:
    """A push subscription to one launch's reminders and changes; the same browser subscribing
    again to the same launch gets the subscription it has (with its keys brought up to date)."""
    keys = push_keys(p256dh, auth)
    with rt.store.write() as tx:
        for found in tx.push.at_endpoint(endpoint):
            if found.launches == (slug,):
                if found.secret != keys:
                    tx.subscriptions.set_secret(found.id, keys)
                return found
    command = Subscribe(
        channel="webpush", target=endpoint, language=language, launches=(slug,), kinds=PUSH_KINDS, keys=keys
    )
    return delivery.subscribe(rt, command, options)


def unsubscribe(rt: Runtime, slug: str, endpoint: str, auth: str) -> list[str]:
    """Stop pushing a launch's notices to a browser; it proves it is that browser with its
    ``auth`` secret. The ids of the subscriptions ended (``push.not_found`` if none)."""
    now = rt.clock.now()
    with rt.store.write() as tx:
        ended = [
            found.id
            for found in tx.push.at_endpoint(endpoint)
            if slug in found.launches and _same_auth(found.secret, auth)
        ]
        if not ended:
            raise NotFound(
                f"no push subscription to {slug!r} at that endpoint with that auth key",
                code=codes.PUSH_NOT_FOUND,
            )
        for subscription_id in ended:
            tx.subscriptions.disable(subscription_id, now, UNSUBSCRIBED)
    return ended


def _same_auth(stored: str, auth: str) -> bool:
    return hmac.compare_digest(stored.partition(".")[2].encode(), auth.strip().rstrip("=").encode())
