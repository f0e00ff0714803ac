"""Running the app under uvicorn, with a shutdown that does not wait forever on live streams."""

from __future__ import annotations

import contextlib
import socket

import uvicorn
from starlette.applications import Starlette

from yaksok.web.live import LiveHub, tune_gc_for_broadcasts


class _Server(uvicorn.Server):
    def __init__(self, config: uvicorn.Config, hub: LiveHub) -> None:
        super().__init__(config)
        self._hub = hub

    async def shutdown(self, sockets: list[socket.socket] | None = None) -> None:
        # uvicorn waits for open responses before running the app's shutdown, and live
        # streams never end by themselves: close them first (stop() is safe to call twice).
        await self._hub.stop()
        await super().shutdown(sockets)


def run_server(app: Starlette, host: str, port: int, *, log_level: str = "info") -> None:
    """Serve until SIGINT/SIGTERM (uvicorn picks uvloop and httptools when installed)."""
    config = uvicorn.Config(app, host=host, port=port, log_level=log_level, server_header=False)
    server = _Server(config, app.state.hub)
    tune_gc_for_broadcasts()
    with contextlib.suppress(KeyboardInterrupt):  # uvicorn re-raises the SIGINT it handled
        server.run()
