"""Admin API: changes waiting for a second operator's review, approved or rejected."""

from __future__ import annotations

from starlette.routing import BaseRoute

from yaksok.domain import codes
from yaksok.domain.review import ProposalState
from yaksok.services import reviews
from yaksok.services.auth import Role
from yaksok.web.api import schemas
from yaksok.web.api.operation import Call, operation
from yaksok.web.api.responses import ProposalOut
from yaksok.web.api.views import proposal_view

PREFIX = "/api/v1"


def list_proposals(call: Call[None]) -> list[ProposalOut]:
    state = call.enum_param("state", ProposalState)
    launch = call.id_param("launch", codes.LAUNCH_NOT_FOUND)
    found = reviews.proposals(call.rt, state=state, launch_slug=launch)
    return [proposal_view(proposal, call.actor) for proposal in found]


def get_proposal(call: Call[None]) -> ProposalOut:
    return proposal_view(reviews.proposal(call.rt, call.path["proposal_id"]), call.actor)


def approve(call: Call[None]) -> ProposalOut:
    return proposal_view(reviews.approve(call.rt, call.path["proposal_id"]), call.actor)


def reject(call: Call[schemas.Rejection]) -> ProposalOut:
    rejected = reviews.reject(call.rt, call.path["proposal_id"], call.body.reason)
    return proposal_view(rejected, call.actor)


_LIST_QUERY = (
    ("state", "only proposals in this state: pending, approved or rejected"),
    ("launch", "only proposals for this launch (slug)"),
)


def routes() -> list[BaseRoute]:
    proposal = f"{PREFIX}/proposals/{{proposal_id}}"
    return [
        operation("GET", f"{PREFIX}/proposals", list_proposals, role=Role.VIEWER, tag="reviews",
                  summary="Changes held for review, oldest first", query=_LIST_QUERY),
        operation("GET", proposal, get_proposal, role=Role.VIEWER, tag="reviews", summary="A proposal"),
        operation("POST", f"{proposal}/approve", approve, role=Role.EDITOR, tag="reviews",
                  summary="Approve another operator's proposal: it is carried out now, with every check"),
        operation("POST", f"{proposal}/reject", reject, role=Role.EDITOR, tag="reviews",
                  summary="Reject a proposal, saying why: nothing it asked is done", body=schemas.Rejection),
    ]  # fmt: skip
