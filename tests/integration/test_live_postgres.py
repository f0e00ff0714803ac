"""Live updates across processes on PostgreSQL: LISTEN/NOTIFY, as two web processes would see it.

Runtime A publishes; runtime B, with its own engine on the same schema, runs the hub. B's poll is
set to 30 s, so a delivery within a second can only come from NOTIFY.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable, Coroutine, Iterator
from types import SimpleNamespace
from typing import Any

import psycopg
import pytest
import sqlalchemy as sa

from yaksok.domain.clock import SimulatedClock
from yaksok.domain.commands import WriteNotice
from yaksok.domain.notice import NoticeKind
from yaksok.services import notices
from yaksok.services.runtime import Runtime
from yaksok.store.engine import make_engine
from yaksok.store.unit_of_work import Store
from yaksok.web import live
from yaksok.web.live import LiveHub

# The conftest's `store` fixture, on PostgreSQL only (through the engine it migrates): a fresh
# schema per test, skipped with the reason when PostgreSQL is unreachable.
pytestmark = [pytest.mark.postgres, pytest.mark.parametrize("bare_engine", ["postgresql"], indirect=True)]

SLOW_POLL = 30.0  # seconds: far beyond every wait below
SOON = 2.0  # seconds: the most a NOTIFY-driven delivery may take here (it takes milliseconds)


@pytest.fixture
def rt_b(rt: Runtime, clock: SimulatedClock) -> Iterator[Runtime]:
    """A second runtime with its own engine on the same schema: another web process."""
    with rt.store.read() as tx:
        schema = tx.connection.execute(sa.text("SELECT current_schema()")).scalar_one()
    url = rt.store.engine.url.render_as_string(hide_password=False)
    engine = make_engine(url, connect_args={"options": f"-csearch_path={schema}"})
    yield Runtime(store=Store(engine), clock=clock)
    engine.dispose()


class Stream:
    """One ``GET /events`` served in process, collecting the bytes its client receives."""

    def __init__(self, hub: LiveHub) -> None:
        app = SimpleNamespace(state=SimpleNamespace(hub=hub))
        scope = {"type": "http", "method": "GET", "headers": [], "query_string": b"", "app": app}
        self.body = bytearray()
        self.left = asyncio.Event()
        self.task = asyncio.create_task(live.events(scope, self._receive, self._send))  # type: ignore[arg-type]

    async def _receive(self) -> dict[str, object]:
        await self.left.wait()
        return {"type": "http.disconnect"}

    async def _send(self, message: dict[str, Any]) -> None:
        self.body += message.get("body", b"")


async def settle(condition: Callable[[], bool], within: float = SOON) -> None:
    async with asyncio.timeout(within):
        while not condition():
            await asyncio.sleep(0.005)


def publish(rt: Runtime, title: str) -> int:
    notice = notices.create_notice(
        rt, WriteNotice(kind=NoticeKind.GENERAL, titles={"en": title}, publish_now=True)
    )
    with rt.store.read() as tx:
        return next(seq for seq, n in tx.notices.published_with_seq(0) if n.id == notice.id)


def with_hub(rt: Runtime, scenario: Callable[[LiveHub, Stream], Coroutine[Any, Any, None]]) -> None:
    """Run ``scenario`` with a listening hub (slow poll) and one open stream, then stop both."""

    async def main() -> None:
        hub = LiveHub(rt, poll_interval=SLOW_POLL, listening_poll_interval=SLOW_POLL)
        await hub.start()
        stream = Stream(hub)
        try:
            await settle(lambda: hub.listening and hub.open_streams == 1)
            await scenario(hub, stream)
        finally:
            await hub.stop()
            await asyncio.wait_for(stream.task, SOON)

    asyncio.run(main())


def test_a_notice_published_by_another_process_reaches_a_stream_at_once(rt: Runtime, rt_b: Runtime) -> None:
    async def scenario(hub: LiveHub, stream: Stream) -> None:
        # The first may ride on the read the hub makes once LISTEN holds; the second cannot.
        await asyncio.to_thread(publish, rt, "first")
        await settle(lambda: b'"first"' in stream.body)
        loop = asyncio.get_running_loop()
        started = loop.time()
        await asyncio.to_thread(publish, rt, "second")
        await settle(lambda: b'"second"' in stream.body)
        assert loop.time() - started < SOON < hub.poll_interval

    with_hub(rt_b, scenario)


def test_a_rolled_back_publication_notifies_nobody(rt: Runtime) -> None:
    with rt.store.read() as tx:
        schema = tx.connection.execute(sa.text("SELECT current_schema()")).scalar_one()
    url = rt.store.engine.url.set(drivername="postgresql").render_as_string(hide_password=False)
    with psycopg.connect(url, autocommit=True) as listener:
        listener.execute(f'LISTEN "yaksok_published:{schema}"')
        draft = notices.create_notice(rt, WriteNotice(kind=NoticeKind.GENERAL, titles={"en": "never out"}))
        with pytest.raises(RuntimeError), rt.store.write() as tx:
            notices.publish_in(tx, rt, draft)
            raise RuntimeError("the use case fails after publishing")
        committed = publish(rt, "out")

        heard = [n.payload for n in listener.notifies(timeout=SOON, stop_after=1)]
        heard += [n.payload for n in listener.notifies(timeout=0.2)]  # anything else on its way

    assert heard == [str(committed)]


def test_the_listener_reconnects_after_its_connection_is_killed(
    rt: Runtime, rt_b: Runtime, caplog: pytest.LogCaptureFixture
) -> None:
    async def scenario(hub: LiveHub, stream: Stream) -> None:
        assert hub.listener is not None
        killed = hub.listener.backend_pid
        with rt.store.write() as tx:
            tx.connection.execute(sa.text("SELECT pg_terminate_backend(:pid)"), {"pid": killed})
        await settle(lambda: hub.listening and hub.listener.backend_pid not in (None, killed))

        await asyncio.to_thread(publish, rt, "after the reconnection")
        await settle(lambda: b"after the reconnection" in stream.body)

    with caplog.at_level(logging.INFO, logger="yaksok.store.live_events"):
        with_hub(rt_b, scenario)
    warnings = [r for r in caplog.records if r.levelno == logging.WARNING]
    assert len(warnings) == 1 and "no LISTEN connection" in warnings[0].getMessage()
    assert any("listening on" in r.getMessage() for r in caplog.records if r.levelno == logging.INFO)
