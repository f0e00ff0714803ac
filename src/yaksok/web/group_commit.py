"""Group commit: requests wait together while one batch commits, then go in the next batch.

A request's future is resolved only once its batch's transaction has committed, so a ``201`` is
never sent for a reservation that could still be lost. ``in_flight`` batches may be handed to the
writer at once: with a writer process, the next batch is on its way while the previous one's
replies go out (pipelining), which keeps a slow disk's flush from halving throughput.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable, Sequence

from yaksok.domain.commands import Reserve
from yaksok.services.reservations import Outcome

Commit = Callable[[Sequence[Reserve]], Awaitable[list[Outcome]]]
MAX_BATCH = 1000


class GroupCommit:
    def __init__(self, commit: Commit, *, in_flight: int = 1) -> None:
        self._commit = commit
        self._pending: list[tuple[Reserve, asyncio.Future[Outcome]]] = []
        self._slots = in_flight
        self._running = 0

    async def submit(self, command: Reserve) -> Outcome:
        """The request's outcome, once the batch it went in has committed."""
        future: asyncio.Future[Outcome] = asyncio.get_running_loop().create_future()
        self._pending.append((command, future))
        if self._running < self._slots:
            self._running += 1
            asyncio.get_running_loop().create_task(self._drain())
        return await future

    async def _drain(self) -> None:
        try:
            while self._pending:
                batch, self._pending = self._pending[:MAX_BATCH], self._pending[MAX_BATCH:]
                await self._settle(batch)
        finally:
            self._running -= 1

    async def _settle(self, batch: list[tuple[Reserve, asyncio.Future[Outcome]]]) -> None:
        try:
            outcomes = await self._commit([command for command, _ in batch])
        except Exception as exc:  # the batch did not commit: every request in it fails
            for _, future in batch:
                if not future.done():
                    future.set_exception(exc)
            return
        for (_, future), outcome in zip(batch, outcomes, strict=True):
            if not future.done():
                future.set_result(outcome)
