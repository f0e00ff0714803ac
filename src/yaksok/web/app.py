"""Assembly: one ASGI app from the public pages, feeds, live updates and the admin API."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator

from starlette.applications import Starlette

from yaksok.config import Settings
from yaksok.services.runtime import Runtime
from yaksok.web import api, live, pages
from yaksok.web.errors import EXCEPTION_HANDLERS
from yaksok.workers import scheduler


def create_app(rt: Runtime, settings: Settings) -> Starlette:
    """The whole web app. With ``settings.run_scheduler`` it also publishes notices on time."""
    hub = live.LiveHub(rt, listen=settings.live_listen)

    @contextlib.asynccontextmanager
    async def lifespan(_app: Starlette) -> AsyncIterator[None]:
        await hub.start()
        stop = asyncio.Event()
        task = asyncio.create_task(scheduler.run(rt, settings, stop)) if settings.run_scheduler else None
        try:
            yield
        finally:
            stop.set()
            if task is not None:
                await task
            await hub.stop()

    app = Starlette(
        routes=[*pages.routes(), *live.routes(), *api.routes()],
        exception_handlers=EXCEPTION_HANDLERS,
        lifespan=lifespan,
    )
    app.state.rt = rt
    app.state.settings = settings
    app.state.hub = hub
    return app
