"""Mastodon: ``POST /api/v1/statuses``, a thread by ``in_reply_to_id``.

Every post carries an ``Idempotency-Key`` (the delivery's id and the post's number), so a retry
never posts twice. Posts are cut to the instance's own limits, read once from
``GET /api/v2/instance`` (``configuration.statuses.max_characters`` and
``characters_reserved_per_url``; 500 and 23 if it does not say), counted as Mastodon counts:
graphemes, each URL as the reserved length.

Why httpx and not Mastodon.py: Mastodon.py is synchronous (requests), so each post would hold a
thread of the async delivery worker; httpx is already a dependency and the two calls are small.
"""

from __future__ import annotations

import asyncio
from functools import partial

from yaksok.channels import thread
from yaksok.channels.outbound import TransportOptions
from yaksok.channels.social import Attempt, SocialTransport, answer_outcome, exhausted
from yaksok.channels.thread import Rules

DEFAULT_LIMIT, DEFAULT_URL = 500, 23


class MastodonTransport(SocialTransport):
    network = "mastodon"

    def __init__(self, options: TransportOptions) -> None:
        super().__init__(options)
        self.rules: dict[str, Rules] = {}

    async def instance_rules(self, base: str) -> Rules:
        known = self.rules.get(base)
        if known is None:
            limit, per_url = DEFAULT_LIMIT, DEFAULT_URL
            answer = await self.http.get(f"{base}/api/v2/instance")
            if answer.status_code == 200:
                statuses = answer.json().get("configuration", {}).get("statuses", {})
                limit = int(statuses.get("max_characters", limit))
                per_url = int(statuses.get("characters_reserved_per_url", per_url))
            known = self.rules[base] = Rules(limit, partial(thread.mastodon_length, url_length=per_url))
        return known

    async def post(self, attempt: Attempt) -> None:
        base, message = attempt.target, attempt.message
        rules = await self.instance_rules(base)
        posts = await asyncio.to_thread(thread.split, message.text, rules, message.link)
        reply_to = attempt.original.post_ids[0] if attempt.original else None
        if attempt.post_ids:
            reply_to = attempt.post_ids[-1]
        for index in range(len(attempt.post_ids), len(posts)):
            body: dict[str, object] = {
                "status": posts[index],
                "visibility": "public",
                "language": message.language,
            }
            if reply_to:
                body["in_reply_to_id"] = reply_to
            answer = await self.http.post(
                f"{base}/api/v1/statuses",
                json=body,
                headers={
                    "Authorization": f"Bearer {attempt.secret}",
                    "Idempotency-Key": f"{attempt.key}.{index + 1}",
                },
            )
            if answer.status_code != 200:
                raise answer_outcome(answer, self.options.now())
            status = answer.json()
            reply_to = str(status["id"])
            attempt.post_ids.append(reply_to)
            attempt.urls.append(str(status.get("url") or status.get("uri") or ""))
            if index + 1 < len(posts) and (stop := exhausted(answer, self.options.now())):
                raise stop
