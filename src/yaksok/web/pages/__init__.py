"""The public pages (server-rendered HTML, Korean and English), the scorecard and the feeds."""

from __future__ import annotations

from starlette.routing import BaseRoute, Mount, Route
from starlette.staticfiles import StaticFiles

from yaksok.web.pages import board, feeds, launch, notice, push, scorecard, subscribe
from yaksok.web.pages.templating import STATIC_DIR


def routes() -> list[BaseRoute]:
    return [
        Route("/", board.board_page, name="board"),
        Route("/launches/{slug}", launch.launch_page, name="launch"),
        Route("/launches/{slug}/feed.atom", feeds.atom, name="launch_atom"),
        Route("/launches/{slug}/calendar.ics", feeds.ics, name="launch_calendar"),
        Route("/launches/{slug}/scorecard.json", scorecard.scorecard_json, name="launch_scorecard_json"),
        Route("/notices/{notice_id}", notice.notice_page, name="notice"),
        Route("/subscribe", subscribe.subscribe_page, name="subscribe"),
        Route("/subscribe", subscribe.subscribe_submit, methods=["POST"], name="subscribe_submit"),
        Route("/subscriptions/manage/{token}", subscribe.manage_page, name="manage"),
        Route(
            "/subscriptions/manage/{token}", subscribe.manage_submit, methods=["POST"], name="manage_submit"
        ),
        Route("/scorecard", scorecard.scorecard_page, name="scorecard"),
        Route("/scorecard.json", scorecard.scorecard_json, name="scorecard_json"),
        Route("/feed.atom", feeds.atom, name="atom"),
        Route("/calendar.ics", feeds.ics, name="calendar"),
        Route("/sw.js", push.service_worker, name="service_worker"),
        Mount("/static", StaticFiles(directory=STATIC_DIR), name="static"),
    ]
