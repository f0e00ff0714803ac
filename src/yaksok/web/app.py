"""Assembly: one ASGI app from the public pages, feeds, live updates and the admin API."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator, Callable, Coroutine, Sequence
from typing import Any

from starlette.applications import Starlette
from starlette.middleware import Middleware
from starlette.types import ASGIApp

from yaksok.config import Settings
from yaksok.domain.subscription import allowed_networks
from yaksok.services.reservations import Terms
from yaksok.services.runtime import Runtime
from yaksok.web import api, console, live, pages, queue
from yaksok.web import reservations as customer_reservations
from yaksok.web.console.throttle import SignInThrottle
from yaksok.web.errors import EXCEPTION_HANDLERS, AnswerUnexpectedErrors
from yaksok.web.group_commit import GroupCommit, Writer
from yaksok.web.rate_limit import RateLimit
from yaksok.web.reserve import ReservationRoute, decided

# Work that runs beside the app from start-up until it is told to stop (the scheduler loop).
Background = Callable[[asyncio.Event], Coroutine[Any, Any, None]]


class _App(Starlette):
    """Starlette, with the reservation POST (``hot_path``) taken before Starlette's own outermost
    layer: at the opening minute each layer's per-request work counts (``docs/benchmarks.md``).
    The route answers its own unexpected errors, as ``AnswerUnexpectedErrors`` does for the rest."""

    hot_path: Callable[[ASGIApp], ASGIApp] | None = None

    def build_middleware_stack(self) -> ASGIApp:
        stack = super().build_middleware_stack()
        return stack if self.hot_path is None else self.hot_path(stack)


def create_app(
    rt: Runtime,
    settings: Settings,
    *,
    background: Sequence[Background] = (),
    reservation_writer: Writer | None = None,
) -> Starlette:
    """The whole web app. Each of ``background`` runs beside it while it serves: ``yaksok serve``
    passes the scheduler loop, which publishes notices on time, and a reservation writer in its own
    process. Without one, reservations are committed in batches by a thread of this process."""
    terms = Terms()  # kept between batches, as the writer process keeps them
    group = reservation_writer or GroupCommit(lambda batch: decided(rt, batch, terms=terms))
    hub = live.LiveHub(rt, listen=settings.live_listen)
    public_writes = RateLimit(settings.public_writes_per_second, settings.public_writes_burst)
    # Outbound requests (webhooks, social networks, the beacon) share one allow-list.
    queue_status = queue.QueueStatus(rt, beacon_allow=allowed_networks(settings.webhook_allow_hosts))

    @contextlib.asynccontextmanager
    async def lifespan(_app: Starlette) -> AsyncIterator[None]:
        await hub.start()
        await group.start()
        await queue_status.start()
        stop = asyncio.Event()
        tasks = [asyncio.create_task(work(stop)) for work in background]
        try:
            yield
        finally:
            stop.set()
            for task in tasks:
                await task
            await queue_status.stop()
            await group.stop()
            await hub.stop()

    app = _App(
        routes=[
            *pages.routes(),
            *live.routes(),
            *api.routes(),
            *customer_reservations.routes(),
            *queue.routes(),
            *console.routes(settings),
        ],
        exception_handlers=EXCEPTION_HANDLERS,
        middleware=[Middleware(AnswerUnexpectedErrors)],
        lifespan=lifespan,
    )
    # The waiting room's status document is polled by the whole crowd: answered from memory there too.
    app.hot_path = lambda inner: ReservationRoute(
        queue.QueueStatusRoute(inner, status=queue_status), group=group, limit=public_writes
    )
    app.state.rt = rt
    app.state.settings = settings
    app.state.hub = hub
    app.state.public_writes = public_writes
    app.state.queue_status = queue_status
    app.state.sign_in_throttle = SignInThrottle()
    return app
