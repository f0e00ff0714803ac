"""The scheduler loop (being built)."""

from __future__ import annotations

import asyncio

from yaksok.config import Settings
from yaksok.services.runtime import Runtime


async def run(rt: Runtime, settings: Settings, stop: asyncio.Event) -> None:
    await stop.wait()
