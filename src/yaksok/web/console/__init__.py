"""The operators' console under /console: server-rendered pages over the admin API's services.

Every action goes through the same service functions as the admin API and is allowed by the
same role check (``services.auth.permits``), so the two never disagree. Sessions are Starlette's
signed cookies (``session``), every form carries a CSRF token, and every page works without
JavaScript; htmx (vendored under /static) only makes the promise verdict update as one types.
"""

from __future__ import annotations

import secrets

from starlette.middleware import Middleware
from starlette.middleware.sessions import SessionMiddleware
from starlette.routing import BaseRoute, Mount, Route

from yaksok.config import Settings
from yaksok.web.console import (
    audit,
    calendar,
    deliveries,
    launches,
    notices,
    passkeys,
    preorder,
    questions,
    reviews,
    session,
    stock,
    waiting_room,
)


def routes(settings: Settings) -> list[BaseRoute]:
    # Without a configured secret, sessions last as long as this process (documented).
    secret = settings.session_secret or secrets.token_urlsafe(32)
    cookies = Middleware(
        SessionMiddleware,
        secret_key=secret,
        session_cookie="yaksok_console",
        max_age=int(settings.session_hours * 3600),
        path="/console",
        same_site="strict",
        https_only=settings.public_url.startswith("https://"),
    )
    pages = [
        Route("/sign-in", session.sign_in_page, methods=["GET"], name="console_sign_in"),
        Route("/sign-in", session.sign_in, methods=["POST"]),
        Route("/sign-out", session.sign_out, methods=["POST"], name="console_sign_out"),
        Route("/", launches.launches_page, methods=["GET"], name="console"),
        Route("/launches", launches.create_launch, methods=["POST"]),
        Route("/launches/{slug}", launches.launch_page, methods=["GET"]),
        Route("/launches/{slug}/titles", launches.retitle_launch, methods=["POST"]),
        Route("/launches/{slug}/milestones", launches.add_milestone, methods=["POST"]),
        Route("/launches/{slug}/review", launches.set_review, methods=["POST"]),
        Route("/launches/{slug}/languages", launches.set_languages, methods=["POST"]),
        Route("/milestones/{milestone_id}", launches.milestone_page, methods=["GET"]),
        Route("/milestones/{milestone_id}/verdict", launches.verdict, methods=["POST"]),
        Route("/milestones/{milestone_id}/promises", launches.revise_promise, methods=["POST"]),
        Route("/notices", notices.notices_page, methods=["GET"]),
        Route("/notices", notices.compose, methods=["POST"]),
        Route("/notices/{notice_id}", deliveries.notice_page, methods=["GET"]),
        Route("/reviews", reviews.reviews_page, methods=["GET"]),
        Route("/questions", questions.questions_page, methods=["GET"]),
        Route("/questions/{question_id}/answer", questions.answer, methods=["POST"]),
        Route("/questions/{question_id}/hide", questions.hide, methods=["POST"]),
        Route("/questions/{question_id}/merge", questions.merge, methods=["POST"]),
        Route("/reviews/{proposal_id}/approve", reviews.approve, methods=["POST"]),
        Route("/reviews/{proposal_id}/reject", reviews.reject, methods=["POST"]),
        Route("/launches/{slug}/skus", preorder.set_sku, methods=["POST"]),
        Route("/launches/{slug}/per-customer-limit", preorder.set_limit, methods=["POST"]),
        Route("/launches/{slug}/reservations", preorder.reservations_page, methods=["GET"]),
        Route("/launches/{slug}/reservations.csv", preorder.reservations_csv, methods=["GET"]),
        Route("/launches/{slug}/stock", stock.stock_page, methods=["GET"]),
        Route("/launches/{slug}/stock", stock.record_batch, methods=["POST"]),
        Route("/launches/{slug}/stock/date", stock.move_batch, methods=["POST"]),
        Route("/launches/{slug}/allocations", stock.run_allocation, methods=["POST"]),
        Route("/launches/{slug}/waiting-room", waiting_room.room_page, methods=["GET"]),
        Route("/launches/{slug}/waiting-room", waiting_room.configure_room, methods=["POST"]),
        Route("/subscribers", deliveries.subscribers_page, methods=["GET"]),
        Route("/subscribers/{subscription_id}", deliveries.subscriber_page, methods=["GET"]),
        Route("/subscribers/{subscription_id}/pause", deliveries.pause, methods=["POST"]),
        Route("/subscribers/{subscription_id}/resume", deliveries.resume, methods=["POST"]),
        Route("/calendar", calendar.calendar_page, methods=["GET"]),
        Route("/audit", audit.audit_page, methods=["GET"]),
        Route("/audit.csv", audit.audit_csv, methods=["GET"]),
        Route("/audit.json", audit.audit_json, methods=["GET"]),
        Route("/account", passkeys.account_page, methods=["GET"]),
        Route("/passkeys/options", passkeys.registration_options, methods=["POST"]),
        Route("/passkeys", passkeys.register, methods=["POST"]),
        Route("/sign-in/passkey/options", passkeys.sign_in_options, methods=["POST"]),
        Route("/sign-in/passkey", passkeys.sign_in, methods=["POST"]),
    ]
    return [Mount("/console", routes=pages, middleware=[cookies])]
