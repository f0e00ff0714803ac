"""Group commit: requests wait together while one batch commits, then go in the next batch.

A request's reply is given only once its batch's transaction has committed, so a ``201`` is
never sent for a reservation that could still be lost. Two writers do this: ``GroupCommit``
below, a thread of the serving process (for tests, the demo and in-memory databases), and
``web.reservation_writer``, a process of its own that takes the batches off this process's GIL
(what ``yaksok serve`` runs).
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Sequence
from typing import Protocol

from yaksok.domain.commands import Reserve

# An HTTP answer as the writer renders it: status, raw headers, body.
Reply = tuple[int, list[tuple[bytes, bytes]], bytes]
Commit = Callable[[Sequence[Reserve]], list[Reply]]
MAX_BATCH = 1000


class Writer(Protocol):
    """What the reservation route submits to. A writer with nothing to start or stop inherits
    these two, which do nothing (``return None``: a protocol's ``pass`` is abstract to mypy)."""

    async def start(self) -> None:
        return None

    async def stop(self) -> None:
        return None

    async def submit(self, command: Reserve) -> Reply:
        """The reply to the request, once the batch it went in has committed."""
        ...


class GroupCommit(Writer):
    """Batches committed one at a time by ``commit`` in a thread of this process."""

    def __init__(self, commit: Commit) -> None:
        self._commit = commit
        self._pending: list[tuple[Reserve, asyncio.Future[Reply]]] = []
        self._running = False

    async def submit(self, command: Reserve) -> Reply:
        future: asyncio.Future[Reply] = asyncio.get_running_loop().create_future()
        self._pending.append((command, future))
        if not self._running:
            self._running = True
            asyncio.get_running_loop().create_task(self._drain())
        return await future

    async def _drain(self) -> None:
        try:
            while self._pending:
                batch, self._pending = self._pending[:MAX_BATCH], self._pending[MAX_BATCH:]
                await self._settle(batch)
        finally:
            self._running = False

    async def _settle(self, batch: list[tuple[Reserve, asyncio.Future[Reply]]]) -> None:
        try:
            replies = await asyncio.to_thread(self._commit, [command for command, _ in batch])
        except Exception as exc:  # the batch did not commit: every request in it fails
            for _, future in batch:
                if not future.done():
                    future.set_exception(exc)
            return
        for (_, future), reply in zip(batch, replies, strict=True):
            if not future.done():
                future.set_result(reply)
