"""What the publishing bench watches: the ledger, the pages a reader polls, and what listeners heard."""

from __future__ import annotations

import asyncio
import time
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import datetime

from yaksok.bench.clients import SseListener, http_request
from yaksok.bench.processes import BenchError
from yaksok.domain.ledger import JSON, LedgerEntry
from yaksok.services import lookups
from yaksok.services.runtime import Runtime

GIVE_UP = 3.0  # seconds after its time that a page is polled for a notice before it counts as not visible
POLL_PAUSE = 0.02  # seconds between polls of a page that does not show the notice yet
LEDGER_PAGE = 1000  # ledger entries read at a time


@dataclass(frozen=True)
class Schedule:
    """Notices and the instants (UNIX seconds) they are due, in order."""

    notice_ids: list[str]
    instants: list[float]


@dataclass
class Heard:
    """What the listeners received, against the schedule; durations in seconds."""

    latencies: list[float] = field(default_factory=list)  # from due time to arrival, per first frame
    first: dict[bytes, float] = field(default_factory=dict)  # per notice: from due time to its first arrival
    last: dict[bytes, float] = field(default_factory=dict)  # per notice: from due time to its last arrival
    missing: int = 0  # (listener, notice) pairs never received
    duplicates: int = 0  # frames received more than once by the same listener

    def fan_out(self) -> list[float]:
        """Per notice, from the first listener's arrival to the last one's: the broadcast's length."""
        return [self.last[notice_id] - first for notice_id, first in self.first.items()]


def heard(listeners: list[SseListener], schedule: Schedule) -> Heard:
    due = {
        notice_id.encode(): at for notice_id, at in zip(schedule.notice_ids, schedule.instants, strict=True)
    }
    result = Heard()
    for listener in listeners:
        counts: Counter[bytes] = Counter()
        for notice_id, arrived in listener.arrivals:
            at = due.get(notice_id)
            if at is None:
                continue  # a notice published by someone else on a shared database
            counts[notice_id] += 1
            if counts[notice_id] == 1:
                _record(result, notice_id, arrived - at)
        result.missing += len(due) - len(counts)
        result.duplicates += sum(counts.values()) - len(counts)
    return result


def _record(result: Heard, notice_id: bytes, latency: float) -> None:
    result.latencies.append(latency)
    result.first[notice_id] = min(result.first.get(notice_id, latency), latency)
    result.last[notice_id] = max(result.last.get(notice_id, latency), latency)


def publications(rt: Runtime, notice_ids: list[str], after_seq: int) -> dict[str, tuple[float, float]]:
    """Each published notice's (scheduled, published) instants in UNIX seconds, as the ledger
    records them (blocking)."""
    wanted = set(notice_ids)
    found: dict[str, tuple[float, float]] = {}
    for entry in _ledger_after(rt, after_seq):
        if entry.kind != "notice.published":
            continue
        data = entry.data
        if data["notice"] in wanted:
            found[str(data["notice"])] = (_seconds(data["scheduled_at"]), _seconds(data["published_at"]))
    return found


def _seconds(instant: JSON) -> float:
    return datetime.fromisoformat(str(instant)).timestamp()


def _ledger_after(rt: Runtime, seq: int) -> Iterator[LedgerEntry]:
    while page := lookups.ledger_page(rt, after=seq, limit=LEDGER_PAGE):
        yield from page
        seq = page[-1].seq


@dataclass
class Visibility:
    """When each notice was first seen on a page (UNIX seconds of the response that showed it)."""

    seen: dict[str, float] = field(default_factory=dict)
    requests: int = 0
    failed: int = 0  # polls that failed or answered other than 200

    def delays(self, schedule: Schedule) -> list[float]:
        return [
            self.seen[notice_id] - at
            for notice_id, at in zip(schedule.notice_ids, schedule.instants, strict=True)
            if notice_id in self.seen
        ]


async def watch_page(host: str, port: int, path: str, schedule: Schedule, visibility: Visibility) -> None:
    """Poll ``path`` from each notice's due time until the page links to it, at most ``GIVE_UP``
    seconds: one request at a time, like one reader refreshing. A response received at t proves
    the notice visible by t, so each figure is an upper bound, finer than a poll's round trip.
    Fills ``visibility`` as it goes, so that what was seen survives a cancellation."""
    markers = [f"/notices/{notice_id}".encode() for notice_id in schedule.notice_ids]
    for index, (notice_id, at) in enumerate(zip(schedule.notice_ids, schedule.instants, strict=True)):
        await asyncio.sleep(max(at - time.time(), 0.0))
        while notice_id not in visibility.seen and time.time() < at + GIVE_UP:
            status, body = await _poll(host, port, path)
            now = time.time()
            visibility.requests += 1
            if status != 200:
                visibility.failed += 1
            else:
                _mark_seen(visibility, schedule, markers, index, body, now)
            if notice_id not in visibility.seen:
                await asyncio.sleep(POLL_PAUSE)


async def _poll(host: str, port: int, path: str) -> tuple[int, bytes]:
    """A failed request is a failed poll (status 0), unless the server is gone altogether."""
    try:
        return await http_request(host, port, path, timeout=GIVE_UP)
    except ConnectionRefusedError:
        raise BenchError(f"GET {path}: the server stopped answering") from None
    except OSError:  # a reset or a timeout: the reader would retry
        return 0, b""


def _mark_seen(
    visibility: Visibility, schedule: Schedule, markers: list[bytes], first: int, body: bytes, now: float
) -> None:
    # One page shows every notice published so far: credit the ones already due, not only the awaited one.
    for index in range(first, len(schedule.notice_ids)):
        if schedule.instants[index] > now:
            break
        notice_id = schedule.notice_ids[index]
        if notice_id not in visibility.seen and markers[index] in body:
            visibility.seen[notice_id] = now
