"""Social accounts and chat webhooks: set up by an operator (per launch, or for every launch),
their credentials kept apart from subscriptions, their backlog shown, and the posts each notice
became. An account is a subscription on a social channel, so it is delivered to, retried and
counted like every other channel."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from yaksok.channels.outbound import TransportOptions
from yaksok.channels.social import check_credentials
from yaksok.channels.transports import REGISTRY
from yaksok.domain import codes
from yaksok.domain.delivery import DeliveryStatus
from yaksok.domain.errors import InvalidInput, NotFound
from yaksok.domain.notice import NoticeKind
from yaksok.domain.social import CHATS, NETWORKS, SocialPost
from yaksok.domain.subscription import Subscription
from yaksok.services import audit_trail, scope
from yaksok.services.runtime import Runtime

_EVERY = 1_000_000_000


@dataclass(frozen=True)
class Account:
    subscription: Subscription
    queued: int  # deliveries waiting (a backlog held by a rate limit shows here)
    failed: int
    last_error: str


class StoredPosts:
    """``channels.social.SocialPosts`` on the store: what the social transports read and record."""

    def __init__(self, rt: Runtime) -> None:
        self.rt = rt

    def credentials(self, subscription_id: str) -> str | None:
        with self.rt.store.read() as tx:
            return tx.social.credentials(subscription_id)

    def posted(self, notice_id: str, subscription_id: str) -> SocialPost | None:
        with self.rt.store.read() as tx:
            return tx.social.post(notice_id, subscription_id)

    def record(self, post: SocialPost) -> None:
        with self.rt.store.write() as tx:
            tx.social.record_post(post)


def add_account(
    rt: Runtime,
    options: TransportOptions,
    *,
    network: str,
    target: str,
    credentials: str = "",
    language: str = "en",
    launches: Sequence[str] = (),
    kinds: Sequence[NoticeKind] = (),
    actor: str | None = None,
) -> Subscription:
    """A social account (``credentials`` needed) or a chat webhook (its URL is the target),
    noted in the audit trail (never its credentials); ``actor`` as ``audit_trail.record`` says."""
    scope.require_all(rt, "adding a social account")
    if network not in NETWORKS + CHATS or network not in REGISTRY:
        known = ", ".join(n for n in NETWORKS + CHATS if n in REGISTRY)
        raise InvalidInput(
            f"no social network or chat {network!r}; one of {known}",
            code=codes.SUBSCRIPTION_CHANNEL_UNKNOWN,
        )
    secret = check_credentials(network, credentials) if network in NETWORKS else ""
    now = rt.clock.now()
    made = Subscription(
        id=rt.new_id("s"),
        channel=network,
        target=REGISTRY[network].transport(options).check_target(target),
        secret="",
        language=language,
        created_at=now,
        launches=tuple(dict.fromkeys(launches)),
        kinds=tuple(dict.fromkeys(kinds)),
    )
    with rt.store.write() as tx:
        for slug in made.launches:
            if not tx.launches.exists(slug):
                raise NotFound(f"no launch {slug!r}", code=codes.LAUNCH_NOT_FOUND)
        tx.subscriptions.add_many([made])
        if secret:
            tx.social.set_credentials(made.id, secret)
        details = {"account": made.id, "network": network, "launches": list(made.launches)}
        audit_trail.record(tx, rt, "social.account_added", details, actor=actor)
    return made


def accounts(rt: Runtime) -> list[Account]:
    """Every social account and chat webhook with its backlog; never a credential."""
    scope.require_all(rt, "the list of social accounts")
    found = []
    with rt.store.read() as tx:
        every = tx.subscriptions.page(after="", created_by=rt.clock.now(), limit=_EVERY)
        for s in every:
            if s.channel not in NETWORKS + CHATS:
                continue
            deliveries = tx.deliveries.for_subscription(s.id)
            pending = [d for d in deliveries if d.status is DeliveryStatus.PENDING]
            errors = [d.last_error for d in deliveries if d.last_error]
            found.append(
                Account(
                    s,
                    len(pending),
                    sum(d.status is DeliveryStatus.FAILED for d in deliveries),
                    errors[-1] if errors else "",
                )
            )
    return found


def posts_of(rt: Runtime, notice_id: str) -> list[SocialPost]:
    """What a notice became on each social account (for its page's links)."""
    with rt.store.read() as tx:
        return tx.social.posts_of(notice_id)
