"""The delivery worker: sends what the outbox holds, on every channel in the registry.

``yaksok serve`` runs it beside the web app, ``yaksok worker`` beside the scheduler; several
may share one PostgreSQL database (pages and retries are claimed with SKIP LOCKED). It wakes as
soon as a notice is published in this process (or, on PostgreSQL, in any other), and at least
every ``delivery_interval`` seconds for retries. Pages are pipelined (``DeliveryWorker.fan_out``).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from datetime import timedelta

from yaksok.channels.outbound import Transport
from yaksok.channels.transports import REGISTRY
from yaksok.config import Settings
from yaksok.domain.delivery import Outcome
from yaksok.domain.notice import Notice
from yaksok.services import delivery, personal_messages
from yaksok.services.delivery import Attempted, Batch
from yaksok.services.runtime import Runtime

log = logging.getLogger(__name__)

FIRST_PAGE = 32  # small, so that the first deliveries leave at once
PAGE = 2048
RETRY_PAGE = 1000


class DeliveryWorker:
    first_page, page = FIRST_PAGE, PAGE

    def __init__(self, rt: Runtime, settings: Settings) -> None:
        self.rt = rt
        self.base_url = settings.public_url
        self.lease = timedelta(seconds=settings.delivery_lease)
        options = delivery.transport_options(settings, rt)
        self.transports: dict[str, Transport] = {name: c.transport(options) for name, c in REGISTRY.items()}

    async def send(self, batch: Batch) -> None:
        """Attempt every delivery of ``batch`` (channels side by side) and record the outcomes."""
        attempted = Attempted(batch, await self.attempt(batch))
        await self.tell_owners(await asyncio.to_thread(delivery.record, self.rt, attempted))

    async def tell_owners(self, alerts: list[delivery.EndpointAlert]) -> None:
        if alerts:
            await delivery.tell_owners(alerts, self.transports["email"], self.base_url)

    async def attempt(self, batch: Batch) -> dict[str, list[Outcome]]:
        channels = list(batch.messages)
        sent = await asyncio.gather(*(self.transports[c].deliver_many(batch.messages[c]) for c in channels))
        return dict(zip(channels, sent, strict=True))

    async def fan_out(self) -> int:
        """Expand and send every waiting fan-out, page after page; how many deliveries were tried.

        Pages go back to back: page n+1 is handed to the transports as soon as it is leased, and
        its first messages leave on the connections that page n no longer needs. Meanwhile one
        transaction records page n's outcomes and leases page n+2 (two pages on the wire at most).
        """
        tried = 0
        expanding = self._expand(self.first_page, None)
        sending: tuple[Batch, asyncio.Task[dict[str, list[Outcome]]]] | None = None
        try:
            while (batch := await expanding) is not None:
                await self.tell_owners(batch.alerts)
                following = (batch, asyncio.create_task(self.attempt(batch)))
                tried += len(batch)
                attempted = None if sending is None else Attempted(sending[0], await sending[1])
                sending = following
                expanding = self._expand(self.page, attempted)
        finally:
            if sending is not None:
                await self._record(*sending)
        return tried

    def _expand(self, page: int, attempted: Attempted | None) -> asyncio.Task[Batch | None]:
        return asyncio.create_task(
            asyncio.to_thread(delivery.expand_next, self.rt, self.base_url, page, attempted, self.lease)
        )

    async def _record(self, batch: Batch, attempt: asyncio.Task[dict[str, list[Outcome]]]) -> None:
        await self.tell_owners(
            await asyncio.to_thread(delivery.record, self.rt, Attempted(batch, await attempt))
        )

    async def retry(self) -> int:
        """Attempt the deliveries whose retry is due; how many."""
        batch = await asyncio.to_thread(
            delivery.claim_retries, self.rt, self.base_url, RETRY_PAGE, self.lease
        )
        if len(batch):
            await self.send(batch)
        return len(batch)

    async def personal(self) -> int:
        """Send the personal messages that are due (ship dates); how many were tried."""
        due = await asyncio.to_thread(
            personal_messages.claim_due, self.rt, self.base_url, RETRY_PAGE, self.lease
        )
        if due:
            transport = self.transports[personal_messages.CHANNEL]
            outcomes = await transport.deliver_many([outgoing for _, outgoing in due])
            attempted = [(message, outcome) for (message, _), outcome in zip(due, outcomes, strict=True)]
            await asyncio.to_thread(personal_messages.record, self.rt, attempted)
        return len(due)

    async def aclose(self) -> None:
        for transport in self.transports.values():
            await transport.aclose()


async def run(rt: Runtime, settings: Settings, stop: asyncio.Event) -> None:
    """Deliver until ``stop`` is set; errors are logged, never raised: the loop must not die."""
    worker = DeliveryWorker(rt, settings)
    wake = asyncio.Event()
    loop = asyncio.get_running_loop()

    def published(_seq: int, _previous: int | None, _notice: Notice) -> None:
        loop.call_soon_threadsafe(wake.set)

    rt.on_publish.append(published)
    listener = rt.store.publication_listener() if settings.live_listen else None
    listening = asyncio.create_task(listener.run(wake.set)) if listener is not None else None
    try:
        while not stop.is_set():
            wake.clear()
            try:
                busy = await worker.fan_out() + await worker.retry() + await worker.personal()
            except Exception:
                log.exception("delivery failed; trying again in %.2f s", settings.delivery_interval)
                busy = 0
            if busy:
                continue
            with contextlib.suppress(TimeoutError):
                async with asyncio.timeout(settings.delivery_interval):
                    await _first(stop, wake)
    finally:
        rt.on_publish.remove(published)
        if listening is not None:
            listening.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await listening
        await worker.aclose()


async def _first(*events: asyncio.Event) -> None:
    waits = [asyncio.create_task(event.wait()) for event in events]
    try:
        await asyncio.wait(waits, return_when=asyncio.FIRST_COMPLETED)
    finally:
        for wait in waits:
            wait.cancel()
