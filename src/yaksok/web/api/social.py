"""Admin API: social accounts (Mastodon, Bluesky, X) and chat webhooks (Slack-compatible, Teams),
for one launch or for every launch. Credentials go in once and never come out: no route, feed or
ledger entry shows them. The listing shows each account's backlog (deliveries queued, e.g. behind
a rate limit)."""

from __future__ import annotations

from typing import Annotated, Literal

from msgspec import Meta
from starlette.routing import BaseRoute

from yaksok.domain.notice import NoticeKind
from yaksok.services import delivery, social
from yaksok.services.auth import Role
from yaksok.web.api.operation import Call, operation
from yaksok.web.api.responses import Out, SubscriberOut
from yaksok.web.api.schemas import Body, Short
from yaksok.web.api.subscribers import subscriber_view

PREFIX = "/api/v1/social/accounts"


class NewSocialAccount(Body):
    """A social account or a chat webhook that published notices are posted to."""

    network: Literal["mastodon", "bluesky", "x", "slack", "teams"]
    target: Annotated[
        str,
        Meta(
            max_length=2000,
            description="the instance's (Mastodon), PDS's (Bluesky) or API's (X) base URL; "
            "a chat's incoming-webhook URL",
        ),
    ]
    credentials: Annotated[
        str,
        Meta(
            max_length=4000,
            description="Mastodon and X: the access token; Bluesky: 'handle app-password'; "
            "chat: none (the URL is the secret). Stored apart, never shown again",
        ),
    ] = ""
    language: Literal["ko", "en", "ja"] = "en"
    launches: Annotated[list[Short], Meta(max_length=100, description="launch slugs; none: all")] = []  # noqa: RUF012
    kinds: Annotated[list[NoticeKind], Meta(description="notice kinds; none: every kind")] = []  # noqa: RUF012


class SocialAccountOut(Out):
    account: SubscriberOut
    queued: Annotated[int, Meta(description="deliveries waiting, e.g. held by the network's rate limit")]
    failed: int
    last_error: str


class SocialAccountListOut(Out):
    accounts: list[SocialAccountOut]


def _view(account: social.Account) -> SocialAccountOut:
    return SocialAccountOut(
        account=subscriber_view(account.subscription),
        queued=account.queued,
        failed=account.failed,
        last_error=account.last_error,
    )


def add_account(call: Call[NewSocialAccount]) -> SubscriberOut:
    body = call.body
    made = social.add_account(
        call.rt,
        delivery.transport_options(call.settings, call.rt),
        network=body.network,
        target=body.target,
        credentials=body.credentials,
        language=body.language,
        launches=body.launches,
        kinds=body.kinds,
        actor=call.actor,
    )
    return subscriber_view(made)


def list_accounts(call: Call[None]) -> SocialAccountListOut:
    return SocialAccountListOut(accounts=[_view(a) for a in social.accounts(call.rt)])


def routes() -> list[BaseRoute]:
    return [
        operation("POST", PREFIX, add_account, role=Role.EDITOR, tag="subscriptions",
                  body=NewSocialAccount, status=201,
                  summary="Post notices to a social account or a chat webhook (per launch or all)"),
        operation("GET", PREFIX, list_accounts, role=Role.SUPPORT, tag="subscriptions",
                  summary="Social accounts and chat webhooks, each with its queued deliveries"),
    ]  # fmt: skip
