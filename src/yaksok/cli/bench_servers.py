"""The servers `yaksok bench reservations` measures, each served by uvicorn the same way (built in
cli/, the one layer that may compose the web app):

- ``bare``: a raw ASGI app answering 201 once it has read the body (the ceiling);
- ``reserve``: yaksok's whole app, reservations group-committed;
- ``baseline``: yaksok's whole app, each reservation committed in its own transaction.

Run as ``python -m yaksok.cli.bench_servers MODE PORT DATABASE_URL COMMIT_DELAY_MS``.
"""

from __future__ import annotations

import asyncio
import sys
import time
from collections.abc import Sequence

import uvicorn
from starlette.types import ASGIApp, Receive, Scope, Send

from yaksok.config import Settings
from yaksok.domain.commands import Reserve
from yaksok.services import databases, reservations
from yaksok.services.reservations import Outcome
from yaksok.services.runtime import Runtime
from yaksok.web.app import create_app
from yaksok.web.group_commit import GroupCommit


async def bare(scope: Scope, receive: Receive, send: Send) -> None:
    if scope["type"] != "http":
        return
    more = True
    while more:
        message = await receive()
        more = message.get("more_body", False)
    await send(
        {"type": "http.response.start", "status": 201, "headers": [(b"content-type", b"application/json")]}
    )
    await send({"type": "http.response.body", "body": b'{"ok":true}'})


def serve(app: ASGIApp, port: int) -> None:
    uvicorn.run(app, host="127.0.0.1", port=port, log_level="warning", access_log=False, server_header=False)


def writer(rt: Runtime, delay: float, *, per_request: bool) -> GroupCommit:
    def commit(batch: Sequence[Reserve]) -> list[Outcome]:
        if not per_request:
            time.sleep(delay)
            return reservations.reserve_batch(rt, batch)
        outcomes = []
        for command in batch:
            time.sleep(delay)
            outcomes.extend(reservations.reserve_batch(rt, [command]))
        return outcomes

    return GroupCommit(lambda batch: asyncio.to_thread(commit, batch))


def main(mode: str, port: int, url: str, delay_ms: float) -> None:
    if mode == "bare":
        serve(bare, port)
        return
    with databases.opened(url, migrate=False) as rt:
        group = writer(rt, delay_ms / 1000, per_request=mode == "baseline")
        settings = Settings(database_url=url, run_scheduler=False)
        serve(create_app(rt, settings, reservation_writer=group), port)


if __name__ == "__main__":
    main(sys.argv[1], int(sys.argv[2]), sys.argv[3], float(sys.argv[4]))
