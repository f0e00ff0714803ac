"""``yaksok bench publish``: scheduled notices under live load, against bare baselines of the same run.

Two phases, one after the other, on the same schedule shape (``notices`` instants ``spacing``
apart, starting ~2 s ahead) and the same number of lean SSE clients held by this process:

1. ``yaksok serve`` itself (scheduler on, system clock) on a fresh SQLite file or ``--db``. A launch
   and its notices are scheduled through the services; while they fall due, a reader polls
   ``GET /`` and ``GET /feed.atom``, and a bare timer in an otherwise idle subprocess fires at
   the same instants (the machine's timer noise at those moments).
2. A bare raw-ASGI broadcaster (``bare_sse``) with no database, sending frames of the size yaksok
   sent: the comparator for SSE delivery.
"""

from __future__ import annotations

import asyncio
import contextlib
import secrets
import statistics
import sys
import tempfile
import time
from collections.abc import Awaitable, Callable, Iterator
from dataclasses import dataclass, replace
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import msgspec

from yaksok.bench import bare_sse
from yaksok.bench.clients import (
    SseListener,
    Tally,
    close_listeners,
    connect_listeners,
    frame_sizes,
    http_request,
    wait_until_serving,
)
from yaksok.bench.observe import GIVE_UP, Heard, Schedule, Visibility, heard, publications, watch_page
from yaksok.bench.processes import (
    BenchError,
    Child,
    child,
    free_port,
    interrupted_by_sigterm,
    paused_gc,
    run_async,
    usable_connections,
)
from yaksok.bench.publish_figures import PublishOptions, YaksokRun, figures
from yaksok.domain.commands import CreateLaunch, WriteNotice
from yaksok.domain.notice import NoticeKind
from yaksok.services import databases, launches, lookups, notices
from yaksok.services.runtime import Runtime

HOST = "127.0.0.1"
START_WAIT = 30.0  # seconds a server may take to answer after it is started
TAIL = 10.0  # seconds after the last due time that listeners may still wait for frames
SETTLE = 0.3  # seconds to keep listening once all is heard: a duplicate would follow within ms
WRITE_ALLOWANCE = 0.01  # seconds of extra lead per notice, to write the notices before they fall due

Progress = Callable[[str], None]


def run_publish(options: PublishOptions, progress: Progress) -> dict[str, Any]:
    """Both phases, then their figures: the object ``--json`` prints. BenchError if one cannot run."""
    started = time.monotonic()
    clients = usable_connections(options.clients)
    if clients < options.clients:
        progress(f"clients capped at {clients} of {options.clients} by the file-descriptor limit")
    if clients < 1:
        raise BenchError("no file descriptors left for clients")
    with interrupted_by_sigterm(), tempfile.TemporaryDirectory(prefix="yaksok-bench-") as tmp:
        work = Path(tmp)
        options = replace(options, database_url=options.database_url or f"sqlite:///{work / 'bench.db'}")
        run = measure_yaksok(options, clients, work, progress)
        bare = measure_bare(options, clients, run.frame_bytes, work, progress)
    return figures(options, clients, run, bare, time.monotonic() - started)


def measure_yaksok(options: PublishOptions, clients: int, work: Path, progress: Progress) -> YaksokRun:
    with opened(options.database_url) as rt:
        slug = f"bench-{secrets.token_hex(4)}"
        titles = {"en": "Publishing bench", "ko": "게시 벤치"}
        launches.create_launch(rt, CreateLaunch(slug=slug, titles=titles, zone="Asia/Seoul"))
        head = lookups.ledger_head(rt)
        port = free_port()
        progress(f"yaksok serve on {HOST}:{port} ({databases.backend(options.database_url)})")
        # The URL goes in the environment, not the command line, where `ps` would show its password.
        env = {"YAKSOK_DATABASE_URL": options.database_url}
        with child("yaksok serve", serve_command(port), work / "serve.log", env) as server:
            phase = YaksokPhase(rt, slug, 0 if head is None else head.seq, server, port, work, progress)
            return run_async(phase.run(options, clients))


@dataclass
class YaksokPhase:
    rt: Runtime  # the bench's own runtime on the server's database, like an operator's CLI
    slug: str
    head: int  # ledger seq before the bench's notices
    server: Child
    port: int
    work: Path
    progress: Progress

    async def run(self, options: PublishOptions, clients: int) -> YaksokRun:
        await serving(self.server, self.port, "/")
        tally = Tally()
        listeners = await listen(self.port, clients, tally, self.progress)
        try:
            with paused_gc():
                schedule = await asyncio.to_thread(schedule_notices, self.rt, self.slug, options)
                tally.expect(schedule.notice_ids, len(listeners))
                ahead = schedule.instants[0] - time.time()
                self.progress(f"  {options.notices} notices scheduled, the first due in {ahead:.1f} s")
                return await self._observe(schedule, tally, listeners)
        finally:
            await close_listeners(listeners)

    async def _observe(self, schedule: Schedule, tally: Tally, listeners: list[SseListener]) -> YaksokRun:
        board, feed = Visibility(), Visibility()
        with timer_at(schedule.instants, self.work) as timer_lateness:
            await watching_pages(
                self.port, schedule, board, feed, until_heard(tally, schedule, self.progress)
            )
            timer = await asyncio.to_thread(timer_lateness)
        found = await asyncio.to_thread(publications, self.rt, schedule.notice_ids, self.head)
        published = Schedule(list(found), [at for _, at in found.values()])
        sizes = frame_sizes(listeners[0])
        return YaksokRun(
            schedule=schedule,
            heard=heard(listeners, schedule),
            after_publication=heard(listeners, published).latencies,
            lateness=[published_at - scheduled_at for scheduled_at, published_at in found.values()],
            timer_lateness=timer,
            board=board,
            feed=feed,
            frame_bytes=round(statistics.fmean(sizes)) if sizes else 0,
        )


async def watching_pages(
    port: int, schedule: Schedule, board: Visibility, feed: Visibility, listening: Awaitable[None]
) -> None:
    """Poll the board and the feed while ``listening``; then give the polls until the last notice's
    ``GIVE_UP`` and stop them, keeping what they saw."""
    polls = [
        asyncio.create_task(watch_page(HOST, port, "/", schedule, board)),
        asyncio.create_task(watch_page(HOST, port, "/feed.atom", schedule, feed)),
    ]
    try:
        await listening
        remaining = schedule.instants[-1] + GIVE_UP - time.time()
        done, _ = await asyncio.wait(polls, timeout=max(remaining, 0.0) + 1.0)
        for poll in done:
            poll.result()  # a server that stopped answering ends the bench
    finally:
        for poll in polls:
            poll.cancel()
        await asyncio.gather(*polls, return_exceptions=True)


def measure_bare(
    options: PublishOptions, clients: int, frame_bytes: int, work: Path, progress: Progress
) -> Heard:
    port = free_port()
    progress(f"bare SSE broadcaster on {HOST}:{port} (no database, {frame_bytes}-byte frames)")
    args = [sys.executable, "-m", "yaksok.bench.bare_sse", str(port)]
    with child("bare SSE broadcaster", args, work / "bare-sse.log") as server:
        return run_async(bare_phase(server, port, options, clients, frame_bytes, progress))


async def bare_phase(
    server: Child, port: int, options: PublishOptions, clients: int, frame_bytes: int, progress: Progress
) -> Heard:
    await serving(server, port, "/ready")
    tally = Tally()
    listeners = await listen(port, clients, tally, progress)
    try:
        with paused_gc():
            instants = plan_instants(options.notices, options.spacing, options.lead)
            schedule = Schedule([bare_sse.notice_id(i) for i in range(1, options.notices + 1)], instants)
            tally.expect(schedule.notice_ids, len(listeners))
            plan = msgspec.json.encode(bare_sse.Plan(at=instants, size=frame_bytes))
            status, _ = await http_request(HOST, port, "/plan", method="POST", body=plan)
            if status != 204:
                raise BenchError(f"the bare broadcaster refused its plan ({status})")
            await until_heard(tally, schedule, progress)
        return heard(listeners, schedule)
    finally:
        await close_listeners(listeners)


def plan_instants(count: int, spacing: float, lead: float) -> list[float]:
    """Due times as UNIX seconds, on whole milliseconds so that every store keeps them exactly."""
    first = round(time.time() + lead, 3)
    return [round(first + index * spacing, 3) for index in range(count)]


def schedule_notices(rt: Runtime, slug: str, options: PublishOptions) -> Schedule:
    """Write the notices through the services, each due at its instant (blocking)."""
    instants = plan_instants(
        options.notices, options.spacing, options.lead + WRITE_ALLOWANCE * options.notices
    )
    ids = []
    for number, at in enumerate(instants, 1):
        of = f"{number}/{options.notices}"
        command = WriteNotice(
            kind=NoticeKind.SHIPPING_UPDATE,
            titles={"en": f"Shipping update {of}", "ko": f"배송 안내 {of}"},
            bodies={
                "en": f"Batch {number} ships **on schedule**.",
                "ko": f"{number}차 물량은 **예정대로** 출고됩니다.",
            },
            launch_slug=slug,
            publish_at=datetime.fromtimestamp(at, UTC),
        )
        notice = notices.create_notice(rt, command)
        ids.append(notice.id)
    if time.time() > instants[0]:
        raise BenchError(f"writing {options.notices} notices took longer than their lead: use fewer notices")
    return Schedule(ids, instants)


async def listen(port: int, clients: int, tally: Tally, progress: Progress) -> list[SseListener]:
    started = time.monotonic()
    listeners = await connect_listeners(HOST, port, "/events", clients, tally)
    progress(f"  {clients} SSE clients streaming after {time.monotonic() - started:.1f} s")
    return listeners


async def until_heard(tally: Tally, schedule: Schedule, progress: Progress) -> None:
    """Wait until every listener has every notice, or ``TAIL`` seconds after the last is due."""
    deadline = schedule.instants[-1] + TAIL
    while not tally.complete.is_set() and time.time() < deadline:
        with contextlib.suppress(TimeoutError):
            async with asyncio.timeout(min(1.0, max(deadline - time.time(), 0.0))):
                await tally.complete.wait()
        due = sum(at <= time.time() for at in schedule.instants)
        progress(f"  {due}/{len(schedule.instants)} due, {tally.count}/{tally.target} frames heard")
    await asyncio.sleep(SETTLE)


@contextlib.contextmanager
def timer_at(instants: list[float], work: Path) -> Iterator[Callable[[], list[float]]]:
    """A bare timer subprocess firing at ``instants``; yields a call that waits for its lateness."""
    source, target = work / "timer-in.json", work / "timer-out.json"
    source.write_bytes(msgspec.json.encode(instants))
    args = [sys.executable, "-m", "yaksok.bench.bare_timer", str(source), str(target)]
    with child("bare timer", args, work / "timer.log") as timer:

        def result() -> list[float]:
            timer.wait(max(instants[-1] - time.time(), 0.0) + START_WAIT)
            return msgspec.json.decode(target.read_bytes(), type=list[float])

        yield result


async def serving(server: Child, port: int, path: str) -> None:
    try:
        await wait_until_serving(HOST, port, path, server.alive, START_WAIT)
    except BenchError as exc:
        raise BenchError(f"{server.name}: {exc}: {server.log_tail()}") from None


def serve_command(port: int) -> list[str]:
    """``yaksok serve`` exactly as a user runs it, with this interpreter."""
    entry = "from yaksok.cli import main; main()"
    return [sys.executable, "-c", entry, "serve", "--host", HOST, "--port", str(port)]


@contextlib.contextmanager
def opened(url: str) -> Iterator[Runtime]:
    """A runtime on the database under test, migrated; BenchError if it cannot be opened."""
    try:
        with databases.opened(url) as rt:
            yield rt
    except databases.SourceUnavailable as exc:
        raise BenchError(str(exc)) from exc
