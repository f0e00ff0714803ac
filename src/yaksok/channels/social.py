"""What every social network's transport shares: the message a notice becomes, the account's
credentials and earlier posts (through ``SocialPosts``, which the services provide), threads
posted one post at a time and resumed where they stopped, and rate limits read from answers.

A notice is posted once per account: the posts are recorded as they are made, so a retry (after a
rate limit, a timeout or a crash) goes on from the first post not yet made and never posts one
twice. A notice that supersedes another is posted as a reply to the original's first post.
"""

from __future__ import annotations

import asyncio
import json
from abc import abstractmethod
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Protocol

import httpx

from yaksok.channels import render
from yaksok.channels.outbound import Outgoing, Transport, TransportOptions, deliver_each
from yaksok.channels.webhook import WebhookTransport
from yaksok.domain import codes
from yaksok.domain.delivery import Delivered, GiveUp, Outcome, RetryLater
from yaksok.domain.errors import InvalidInput
from yaksok.domain.launch import Milestone
from yaksok.domain.notice import Notice
from yaksok.domain.social import SocialPost, subscription_of


class SocialPosts(Protocol):
    """Where a social transport finds an account's credentials and records its posts."""

    def credentials(self, subscription_id: str) -> str | None: ...
    def posted(self, notice_id: str, subscription_id: str) -> SocialPost | None: ...
    def record(self, post: SocialPost) -> None: ...


@dataclass(frozen=True)
class SocialMessage:
    notice: str
    supersedes: str | None
    language: str
    text: str  # title, body and extras (a clarification's claim, source and verdict)
    link: str  # the full notice's public page
    published_at: str = ""  # ISO 8601: Bluesky's createdAt (the same on every attempt)


def social_body(notice: Notice, lang: str, base_url: str, milestones: Mapping[str, Milestone]) -> bytes:
    """A notice as every social network is given it (each cuts it to its own limits)."""
    parts = [
        notice.title(lang),
        render.body_text(notice, lang, milestones),
        *render.notice_extras(notice, lang),
    ]
    message = {
        "notice": notice.id,
        "supersedes": notice.supersedes,
        "language": lang,
        "text": "\n\n".join(part.strip() for part in parts if part.strip()),
        "link": render.notice_url(base_url, notice.id),
        "published_at": notice.published_at.isoformat() if notice.published_at else "",
    }
    return json.dumps(message, ensure_ascii=False).encode()


def read_message(body: bytes) -> SocialMessage:
    data = json.loads(body)
    return SocialMessage(
        data["notice"],
        data["supersedes"],
        data["language"],
        data["text"],
        data["link"],
        data.get("published_at", ""),
    )


class Stop(Exception):
    """Ends an attempt with ``outcome``; the posts made so far are kept."""

    def __init__(self, outcome: Outcome) -> None:
        super().__init__(getattr(outcome, "why", ""))
        self.outcome = outcome


def rate_wait(headers: httpx.Headers, now: datetime) -> timedelta | None:
    """How long until the rate limit resets: ``x-ratelimit-reset`` (Mastodon: an ISO time),
    ``x-rate-limit-reset`` (X) or ``ratelimit-reset`` (Bluesky) (Unix seconds), else
    ``retry-after`` (seconds); None if none says."""
    names = ("x-ratelimit-reset", "x-rate-limit-reset", "ratelimit-reset")
    reset = next((headers[name] for name in names if name in headers), "").strip()
    at: datetime | None = None
    if reset.isdigit():
        at = datetime.fromtimestamp(int(reset), tz=UTC)
    elif reset:
        try:
            at = datetime.fromisoformat(reset.replace("Z", "+00:00"))
        except ValueError:
            at = None
    if at is not None:
        return max(at - now, timedelta(0))
    retry = headers.get("retry-after", "").strip()
    return timedelta(seconds=int(retry)) if retry.isdigit() else None


def answer_outcome(answer: httpx.Response, now: datetime) -> Stop:
    """What a refused post means: rate-limited (retry at the reset), bad credentials, refused
    for good (too long, unknown reply: retrying would not help) or a passing fault (retry)."""
    why = f"HTTP {answer.status_code}: {answer.text[:200]}"
    if answer.status_code == 429:
        return Stop(RetryLater(f"rate-limited: {why}", after=rate_wait(answer.headers, now)))
    if answer.status_code in (400, 401, 403, 404, 409, 413, 422):
        return Stop(GiveUp(why))
    return Stop(RetryLater(why, after=rate_wait(answer.headers, now)))


def exhausted(answer: httpx.Response, now: datetime) -> Stop | None:
    """A stop at the reset time when the answer says no post is left in this window."""
    names = ("x-ratelimit-remaining", "x-rate-limit-remaining", "ratelimit-remaining")
    if any(answer.headers.get(name, "").strip() == "0" for name in names):
        return Stop(RetryLater("rate limit reached", after=rate_wait(answer.headers, now)))
    return None


@dataclass
class Attempt:
    """One notice on its way to one account: posts made so far (kept across attempts)."""

    message: SocialMessage
    subscription_id: str
    key: str  # the delivery's id: the same on every attempt
    target: str
    secret: str
    original: SocialPost | None  # what the superseded notice became on this account
    post_ids: list[str] = field(default_factory=list)
    urls: list[str] = field(default_factory=list)
    cids: list[str] = field(default_factory=list)


class SocialTransport(Transport):
    """Posts a notice (as a thread when it is long) to one account per message."""

    network = ""

    def __init__(self, options: TransportOptions) -> None:
        self.options = options
        self.http = httpx.AsyncClient(timeout=options.timeout, follow_redirects=False)

    def check_target(self, target: str) -> str:
        """A base URL, http(s), resolvable and not private (unless allowed), as webhooks are."""
        return WebhookTransport(self.options).check_target(target).rstrip("/")

    async def deliver_many(self, messages: Sequence[Outgoing]) -> list[Outcome]:
        return await deliver_each(self, messages)

    async def deliver(self, message: Outgoing) -> Outcome:
        social = self.options.social
        if social is None:
            return GiveUp("social accounts are not configured in this process")
        notice = read_message(message.body)
        subscription_id = subscription_of(message.id)
        secret = await asyncio.to_thread(social.credentials, subscription_id)
        if secret is None:
            return GiveUp(f"no credentials for account {subscription_id}")
        done = await asyncio.to_thread(social.posted, notice.notice, subscription_id)
        original = None
        if notice.supersedes:
            original = await asyncio.to_thread(social.posted, notice.supersedes, subscription_id)
        attempt = Attempt(notice, subscription_id, message.id, message.target, secret, original)
        if done is not None:
            attempt.post_ids, attempt.urls, attempt.cids = (
                list(done.post_ids),
                list(done.urls),
                list(done.cids),
            )
        made = len(attempt.post_ids)
        try:
            await self.post(attempt)
            outcome: Outcome = Delivered(self.options.now())
        except Stop as stop:
            outcome = stop.outcome
        except (httpx.HTTPError, KeyError, ValueError, TypeError) as exc:
            outcome = RetryLater(f"{type(exc).__name__}: {exc}")
        if len(attempt.post_ids) > made:
            post = SocialPost(
                notice.notice,
                subscription_id,
                self.network,
                tuple(attempt.post_ids),
                tuple(attempt.urls),
                self.options.now(),
                tuple(attempt.cids),
            )
            await asyncio.to_thread(social.record, post)
        return outcome

    @abstractmethod
    async def post(self, attempt: Attempt) -> None:
        """Make the posts ``attempt`` has not made yet, appending each to it as it is made;
        ``Stop`` ends the attempt."""

    async def aclose(self) -> None:
        await self.http.aclose()


def check_credentials(network: str, secret: str) -> str:
    """The credentials as stored: a token, or for Bluesky ``handle app-password``."""
    if not secret.strip():
        raise InvalidInput("a social account needs its credentials", code=codes.SOCIAL_CREDENTIALS_INVALID)
    if network == "bluesky" and len(secret.split()) != 2:
        raise InvalidInput(
            "Bluesky credentials are the handle and an app password, separated by a space",
            code=codes.SOCIAL_CREDENTIALS_INVALID,
        )
    return secret.strip()
