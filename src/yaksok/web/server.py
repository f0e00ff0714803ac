"""Running the app under uvicorn, with a shutdown that does not wait forever on live streams."""

from __future__ import annotations

import contextlib

import uvicorn
from starlette.applications import Starlette

from yaksok.web.live import tune_gc_for_broadcasts


def run_server(app: Starlette, host: str, port: int, *, log_level: str = "info") -> None:
    """Serve until SIGINT/SIGTERM (uvicorn picks uvloop and httptools when installed)."""
    server = uvicorn.Server(
        uvicorn.Config(app, host=host, port=port, log_level=log_level, server_header=False)
    )
    hub = app.state.hub
    shutdown = server.shutdown

    async def end_streams_then_shutdown(sockets: object = None) -> None:
        # uvicorn waits for open responses before running the app's shutdown, and live
        # streams never end by themselves: close them first (stop() is safe to call twice).
        await hub.stop()
        await shutdown(sockets)  # type: ignore[arg-type]

    server.shutdown = end_streams_then_shutdown  # type: ignore[method-assign]
    tune_gc_for_broadcasts()
    with contextlib.suppress(KeyboardInterrupt):  # uvicorn re-raises the SIGINT it handled
        server.run()
