"""Waiting for review: changes held on launches under two-person review, approved or rejected
by another operator through the same services as the admin API (services.reviews)."""

from __future__ import annotations

from starlette.responses import RedirectResponse, Response

from yaksok.domain.review import ProposalState
from yaksok.services import reviews
from yaksok.services.auth import Role
from yaksok.web.console.session import Visit, console_view


@console_view(Role.VIEWER)
def reviews_page(visit: Visit) -> Response:
    every = reviews.proposals(visit.rt)
    pending = [p for p in every if p.state is ProposalState.PENDING]
    decided = [p for p in every if p.state is not ProposalState.PENDING][-20:]
    return visit.page(
        "console/reviews.html",
        pending=pending,
        decided=list(reversed(decided)),
        proposed=visit.request.query_params.get("proposed", ""),
    )


@console_view(Role.EDITOR)
def approve(visit: Visit) -> Response:
    approved = reviews.approve(visit.rt, visit.request.path_params["proposal_id"])
    return RedirectResponse(f"/console/reviews?approved={approved.id}", status_code=303)


@console_view(Role.EDITOR)
def reject(visit: Visit) -> Response:
    rejected = reviews.reject(
        visit.rt, visit.request.path_params["proposal_id"], visit.form.get("reason", "")
    )
    return RedirectResponse(f"/console/reviews?rejected={rejected.id}", status_code=303)
