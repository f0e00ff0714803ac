"""Live updates (being built)."""

from __future__ import annotations

from starlette.routing import BaseRoute

from yaksok.services.runtime import Runtime


class LiveHub:
    def __init__(self, rt: Runtime) -> None:
        self.rt = rt

    async def start(self) -> None:
        return None

    async def stop(self) -> None:
        return None


def routes() -> list[BaseRoute]:
    return []
