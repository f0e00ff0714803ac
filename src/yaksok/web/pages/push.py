"""``GET /sw.js``: the service worker for browser push, served from the root so that its scope
is the whole site (a worker under /static/ could only control /static/)."""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import FileResponse, Response

from yaksok.web.pages.templating import STATIC_DIR


async def service_worker(request: Request) -> Response:
    return FileResponse(
        STATIC_DIR / "sw.js",
        media_type="text/javascript",
        headers={"Cache-Control": "no-cache", "Service-Worker-Allowed": "/"},
    )
