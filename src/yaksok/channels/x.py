"""X: ``POST /2/tweets``, a thread by ``reply.in_reply_to_tweet_id``, with an OAuth 2.0 user
access token (``tweet.write``). Posts are at most 280 weighted characters as twitter-text counts
them (``twitter-text-parser``: CJK and emoji weigh 2, a URL 23).

X takes no idempotency key, so each tweet is recorded as soon as it is made and a retry goes on
from the first one not made; only a worker killed between X's answer and that record can post a
tweet twice (X then refuses the duplicate text with 403, and the delivery fails visibly).
``x-rate-limit-remaining`` at 0 with tweets still to post, or a 429, waits for
``x-rate-limit-reset``.

Why httpx and not tweepy: tweepy's ``Client`` is synchronous (requests) and its async client
needs aiohttp besides httpx; one POST shape does not need either.
"""

from __future__ import annotations

import asyncio

from yaksok.channels import thread
from yaksok.channels.social import Attempt, SocialTransport, answer_outcome, exhausted


class XTransport(SocialTransport):
    network = "x"

    async def post(self, attempt: Attempt) -> None:
        message = attempt.message
        posts = await asyncio.to_thread(
            thread.split, message.text, thread.X, message.link
        )  # ~40 ms per 1,000 characters
        reply_to = attempt.original.post_ids[0] if attempt.original else None
        if attempt.post_ids:
            reply_to = attempt.post_ids[-1]
        for index in range(len(attempt.post_ids), len(posts)):
            body: dict[str, object] = {"text": posts[index]}
            if reply_to:
                body["reply"] = {"in_reply_to_tweet_id": reply_to}
            answer = await self.http.post(
                f"{attempt.target}/2/tweets", json=body, headers={"Authorization": f"Bearer {attempt.secret}"}
            )
            if answer.status_code not in (200, 201):
                raise answer_outcome(answer, self.options.now())
            reply_to = str(answer.json()["data"]["id"])
            attempt.post_ids.append(reply_to)
            attempt.urls.append(f"https://x.com/i/web/status/{reply_to}")
            if index + 1 < len(posts) and (stop := exhausted(answer, self.options.now())):
                raise stop
