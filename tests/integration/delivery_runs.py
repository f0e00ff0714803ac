"""One pass of a real delivery worker, as the tests of every delivered channel run it."""

from __future__ import annotations

import asyncio

from yaksok.config import Settings
from yaksok.services.runtime import Runtime
from yaksok.workers.delivery import DeliveryWorker


def deliver(rt: Runtime, settings: Settings) -> int:
    """Expand every waiting fan-out and retry what is due, once; how many deliveries were tried."""

    async def run() -> int:
        worker = DeliveryWorker(rt, settings)
        try:
            return await worker.fan_out() + await worker.retry()
        finally:
            await worker.aclose()

    return asyncio.run(run())


def send_personal(rt: Runtime, settings: Settings) -> int:
    """Send the personal messages that are due (ship dates, answers), once; how many were tried."""

    async def run() -> int:
        worker = DeliveryWorker(rt, settings)
        try:
            return await worker.personal()
        finally:
            await worker.aclose()

    return asyncio.run(run())
