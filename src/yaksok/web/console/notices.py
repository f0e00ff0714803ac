"""The notice composer: Korean and English side by side, a Markdown preview as the board shows
it, and a draft, a schedule at an exact time or a publication now."""

from __future__ import annotations

from starlette.responses import RedirectResponse, Response

from yaksok.services.auth import Role
from yaksok.web.console import actions
from yaksok.web.console.session import Visit, console_view


def _composer(visit: Visit, *, previews: dict[str, str] | None = None) -> Response:
    drafts, scheduled = actions.pending_notices(visit.rt)
    return visit.page(
        "console/notices.html",
        drafts=drafts,
        scheduled=scheduled,
        published=actions.recently_published(visit.rt),
        launches=actions.launch_list(visit.rt),
        form=visit.form,
        previews=previews,
    )


@console_view(Role.VIEWER)
def notices_page(visit: Visit) -> Response:
    return _composer(visit)


@console_view(Role.EDITOR)
def compose(visit: Visit) -> Response:
    if visit.form.get("action") == "preview":
        return _composer(visit, previews=actions.body_previews(visit.rt, visit.form))
    notice = actions.compose_notice(visit.rt, visit.form)
    return RedirectResponse(f"/console/notices?saved={notice.id}", status_code=303)
