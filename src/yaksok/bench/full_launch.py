"""``yaksok bench full-launch``: the reads and writes of a launch day that must not grow with the
launch, timed on a full launch beside the same on a small one (the baseline) in the same run and
database. Each ratio (full ÷ small) is ~1 for an operation whose cost stays flat as the pre-order
fills, and grows with the launch for one that reads it all.

Both launches have one SKU capped at half their reservations, so half wait on its waitlist:
- ``lookup_queued`` / ``lookup_waitlisted``: a customer's lookup of the last reservation in each
  line (``GET /reservations/{code}``: the reservation, its place, the expected ship date);
- ``scorecard``: the scorecard's figures for the launch (counts, units held, peak per second);
- ``cancel``: a queued reservation cancelled, which promotes the head of the waitlist (the launch
  is claimed meanwhile: the reservation writer waits);
- ``batch``: a batch of 32 new reservations decided and committed on the capped SKU.
"""

from __future__ import annotations

import statistics
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from yaksok.bench.processes import BenchError, machine
from yaksok.bench.reservations import open_preorder
from yaksok.domain.commands import CancelReservation, Reserve, SetSku
from yaksok.domain.launch import Sku
from yaksok.domain.reservation import ReservationState
from yaksok.services import databases, figures, reservations
from yaksok.services.reservations import Accepted
from yaksok.services.runtime import Runtime

SMALL = 1_000
CHUNK = 1_000  # reservations a batch while filling a launch
BATCH = 32  # the ``batch`` operation's size, a batch's size at the opening minute
SKU = "wifi-16"
Progress = Callable[[str, int, int], None]
OPERATIONS = ("lookup_queued", "lookup_waitlisted", "scorecard", "cancel", "batch")


@dataclass(frozen=True)
class FullLaunchOptions:
    reservations: int = 100_000
    repeats: int = 20  # each operation's median is over this many runs
    database_url: str = ""  # "": a fresh SQLite file in a temporary directory


def run_full_launch(options: FullLaunchOptions, progress: Progress) -> dict[str, Any]:
    with (
        tempfile.TemporaryDirectory(prefix="yaksok-bench-") as tmp,
        databases.scratch_schema(options.database_url or f"sqlite:///{tmp}/bench.db", "yaksok_bench") as url,
    ):
        stamp = int(time.time())
        small, full = f"bench-small-{stamp}", f"bench-full-{stamp}"
        for slug in (small, full):
            open_preorder(url, slug)
        with databases.opened(url) as rt:
            made = {
                "small": _fill(rt, small, SMALL, progress),
                "full": _fill(rt, full, options.reservations, progress),
            }
            timed = {
                "small": _operations(rt, small, made["small"], options.repeats, progress),
                "full": _operations(rt, full, made["full"], options.repeats, progress),
            }
    return {
        "reservations": options.reservations,
        "small_reservations": SMALL,
        "repeats": options.repeats,
        "operations": {
            name: {
                "small_ms": timed["small"][name],
                "full_ms": timed["full"][name],
                "ratio": timed["full"][name] / timed["small"][name] if timed["small"][name] else 0.0,
            }
            for name in OPERATIONS
        },
        "worst_ratio": max(timed["full"][name] / timed["small"][name] for name in OPERATIONS),
        "database": "postgresql" if "postgres" in url else "sqlite",
        "machine": machine(),
    }


def _fill(rt: Runtime, slug: str, count: int, progress: Progress) -> list[Accepted]:
    """``count`` reservations of one unit each on the SKU, capped at half of them."""
    reservations.set_sku(rt, SetSku(launch_slug=slug, sku=Sku(SKU, {"en": "Wi-Fi"}, cap=count // 2)))
    made: list[Accepted] = []
    label = f"filling a launch of {count}"
    for start in range(0, count, CHUNK):
        progress(label, start, count)
        batch = [_request(slug, n) for n in range(start, min(count, start + CHUNK))]
        made += [out for out in reservations.reserve_batch(rt, batch) if isinstance(out, Accepted)]
    progress(label, count, count)
    if len(made) != count:
        raise BenchError(f"{count - len(made)} of the bench's reservations were refused")
    return made


def _request(slug: str, n: int) -> Reserve:
    return Reserve(slug, f"fill-{n}", SKU, 1, f"customer-{n}@example.com")


def _operations(
    rt: Runtime, slug: str, made: list[Accepted], repeats: int, progress: Progress
) -> dict[str, float]:
    """The median of ``repeats`` runs of each operation, in milliseconds."""
    queued = [m for m in made if m.reservation.state is ReservationState.QUEUED]
    waiting = [m for m in made if m.reservation.state is ReservationState.WAITLISTED]
    last_queued, last_waiting = queued[-1], waiting[-1]
    cancelled = iter(queued[1 : repeats + 1])  # near the head of the line: each promotes one
    added = iter(range(len(made), len(made) + BATCH * repeats, BATCH))
    runs: dict[str, Callable[[], object]] = {
        "lookup_queued": lambda: reservations.look_up(rt, last_queued.reservation.code, last_queued.secret),
        "lookup_waitlisted": lambda: reservations.look_up(
            rt, last_waiting.reservation.code, last_waiting.secret
        ),
        "scorecard": lambda: figures.scorecard_figures(rt, slug),
        "cancel": lambda: _cancel(rt, next(cancelled)),
        "batch": lambda: _batch(rt, slug, next(added)),
    }
    medians: dict[str, float] = {}
    for name, run in runs.items():
        label = f"timing {name} ({len(made)})"
        progress(label, 0, repeats)
        seconds = []
        for done in range(repeats):
            started = time.perf_counter()
            run()
            seconds.append(time.perf_counter() - started)
            progress(label, done + 1, repeats)
        medians[name] = statistics.median(seconds) * 1000
    return medians


def _cancel(rt: Runtime, made: Accepted) -> None:
    reservations.cancel(rt, CancelReservation(code=made.reservation.code, secret=made.secret))


def _batch(rt: Runtime, slug: str, first: int) -> None:
    outcomes = reservations.reserve_batch(rt, [_request(slug, n) for n in range(first, first + BATCH)])
    if not all(isinstance(outcome, Accepted) for outcome in outcomes):
        raise BenchError(f"the bench's batch was refused: {outcomes[0]}")
