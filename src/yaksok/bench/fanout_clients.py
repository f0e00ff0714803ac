"""Well-kept HTTP clients beside yaksok's lean webhook sender, on the same receiver and requests.

``yaksok bench fanout --compare-clients N`` sends N signed webhooks (the same notice's body, a
new ``webhook-id`` each, Standard Webhooks headers made per message, as a sender must) through
each client with 64 connections, one client after the other, and reports deliveries/s, the share
of the receiver's wrk ceiling, and the bench process's CPU per delivery. No store is involved:
this is the HTTP client alone, which is what decides whether the lean sender is justified.

Candidates (each measured only if installed; ``pip install 'yaksok[bench]'``): aiohttp,
niquests (async, urllib3-future) and pyreqwest (Rust's reqwest). httpx is left out: on this
machine it delivers ~1% of the ceiling (``../shared/MEASURED.md``), which would add minutes.
"""

from __future__ import annotations

import asyncio
import importlib.util
import time
from collections.abc import Awaitable, Callable, Sequence
from datetime import timedelta
from typing import Any

from yaksok.channels.outbound import Outgoing, TransportOptions
from yaksok.channels.webhook import WebhookTransport, signature
from yaksok.domain.delivery import Delivered

CONNECTIONS = 64
CANDIDATES = ("aiohttp", "niquests", "pyreqwest")
Sender = Callable[[str, Sequence[Outgoing]], Awaitable[int]]


async def compare(
    url: str, messages: Sequence[Outgoing], options: TransportOptions, ceiling: float
) -> dict[str, dict[str, Any]]:
    """Each client's figures, by name; a client that is not installed says so."""
    results: dict[str, dict[str, Any]] = {}
    for name in ("yaksok", *CANDIDATES):
        if name != "yaksok" and importlib.util.find_spec(name) is None:
            results[name] = {"error": f"not installed (pip install {name})"}
            continue
        batch = [message._replace(id=f"{name}-{message.id}") for message in messages]
        send: Sender = _lean(options) if name == "yaksok" else _SENDERS[name]
        cpu, wall = time.process_time(), time.perf_counter()
        try:
            delivered = await send(url, batch)
        except Exception as exc:  # a client that cannot do it is a finding, not a crash
            results[name] = {"error": f"{type(exc).__name__}: {exc}"[:200]}
            continue
        wall, cpu = time.perf_counter() - wall, time.process_time() - cpu
        rate = delivered / wall if wall else 0.0
        results[name] = {
            "delivered": delivered,
            "per_s": rate,
            "ratio": rate / ceiling if ceiling else 0.0,
            "cpu_us_per_delivery": cpu / delivered * 1e6 if delivered else None,
        }
    return results


def _lean(options: TransportOptions) -> Sender:
    async def send(_url: str, messages: Sequence[Outgoing]) -> int:
        transport = WebhookTransport(options)
        try:
            outcomes = await transport.deliver_many(messages)
        finally:
            await transport.aclose()
        return sum(isinstance(outcome, Delivered) for outcome in outcomes)

    return send


def _headers(message: Outgoing) -> dict[str, str]:
    stamp = int(time.time())
    return {
        "content-type": "application/json",
        "webhook-id": message.id,
        "webhook-timestamp": str(stamp),
        "webhook-signature": signature(message.secret, message.id, stamp, message.body),
    }


async def _each(messages: Sequence[Outgoing], post: Callable[[Outgoing], Awaitable[int]]) -> int:
    """``post`` every message from CONNECTIONS workers; how many were answered 2xx."""
    pending = iter(messages)
    delivered = 0

    async def worker() -> None:
        nonlocal delivered
        for message in pending:
            if 200 <= await post(message) < 300:
                delivered += 1

    await asyncio.gather(*(worker() for _ in range(CONNECTIONS)))
    return delivered


async def _aiohttp(url: str, messages: Sequence[Outgoing]) -> int:
    import aiohttp

    connector = aiohttp.TCPConnector(limit=CONNECTIONS)
    async with aiohttp.ClientSession(connector=connector) as session:

        async def post(message: Outgoing) -> int:
            async with session.post(url, data=message.body, headers=_headers(message)) as answer:
                await answer.read()
                return answer.status

        return await _each(messages, post)


async def _niquests(url: str, messages: Sequence[Outgoing]) -> int:
    import niquests

    async with niquests.AsyncSession(pool_connections=1, pool_maxsize=CONNECTIONS) as session:

        async def post(message: Outgoing) -> int:
            answer = await session.post(url, data=message.body, headers=_headers(message))
            return int(answer.status_code or 0)

        return await _each(messages, post)


async def _pyreqwest(url: str, messages: Sequence[Outgoing]) -> int:
    from pyreqwest.client import ClientBuilder

    builder = ClientBuilder().max_connections(CONNECTIONS).timeout(timedelta(seconds=10))
    async with builder.build() as client:

        async def post(message: Outgoing) -> int:
            answer = await client.post(url).headers(_headers(message)).body_bytes(message.body).build().send()
            return int(answer.status)

        return await _each(messages, post)


_SENDERS: dict[str, Sender] = {"aiohttp": _aiohttp, "niquests": _niquests, "pyreqwest": _pyreqwest}
