"""Baseline: how late a bare asyncio timer fires on this machine, in a process doing nothing else.

``python -m yaksok.bench.bare_timer IN OUT``: reads a JSON list of instants (UNIX seconds) from
file IN, fires one timer at each (``loop.call_later``), and writes to file OUT a JSON list of how many
seconds after its instant each one fired. Run at the same instants as the notices, it shows how
late anything can be woken on this machine at those moments: the floor under publication lateness.
"""

from __future__ import annotations

import asyncio
import functools
import json
import sys
import time
from collections.abc import Callable
from pathlib import Path

from yaksok.bench.processes import run_async


def call_at_instant(at: float, callback: Callable[[], None]) -> None:
    """Call ``callback`` once the wall clock reaches ``at`` (UNIX seconds), never before.

    uvloop's timers count whole milliseconds on a clock cached per loop iteration, so they may
    fire a little early; like yaksok's scheduler, which re-reads the clock before publishing,
    check the wall clock and wait out the remainder."""
    loop = asyncio.get_running_loop()

    def check() -> None:
        remaining = at - time.time()
        if remaining > 0:
            loop.call_later(remaining, check)
        else:
            callback()

    loop.call_later(max(at - time.time(), 0.0), check)


async def fire_at(instants: list[float]) -> list[float]:
    loop = asyncio.get_running_loop()
    lateness: list[float] = []
    done = loop.create_future()

    def fire(at: float) -> None:
        lateness.append(time.time() - at)
        if len(lateness) == len(instants):
            done.set_result(None)

    for at in instants:
        call_at_instant(at, functools.partial(fire, at))
    if instants:
        await done
    return lateness


def main(argv: list[str]) -> None:
    source, target = Path(argv[0]), Path(argv[1])
    instants = json.loads(source.read_text())
    target.write_text(json.dumps(run_async(fire_at(instants))))


if __name__ == "__main__":
    main(sys.argv[1:])
