"""The notice composer: Korean and English side by side, a Markdown preview as the board shows
it, and a draft, a schedule at an exact time or a publication now."""

from __future__ import annotations

from starlette.responses import RedirectResponse, Response

from yaksok.channels.preview import Preview
from yaksok.domain.review import Proposal
from yaksok.services.auth import Role
from yaksok.web.console import actions
from yaksok.web.console.session import Visit, console_view
from yaksok.web.pages import i18n, labels


def _composer(visit: Visit, *, previews: dict[str, list[Preview]] | None = None) -> Response:
    drafts, scheduled = actions.pending_notices(visit.rt)
    return visit.page(
        "console/notices.html",
        drafts=drafts,
        scheduled=scheduled,
        published=actions.recently_published(visit.rt),
        launches=actions.launch_list(visit.rt),
        form=visit.form,
        previews=previews,
        channel_names=labels.CHANNELS[i18n.choose_lang(visit.request)],
    )


@console_view(Role.VIEWER)
def notices_page(visit: Visit) -> Response:
    return _composer(visit)


@console_view(Role.EDITOR)
def compose(visit: Visit) -> Response:
    if visit.form.get("action") == "preview":
        base_url = visit.request.app.state.settings.public_url
        return _composer(visit, previews=actions.channel_previews(visit.rt, visit.form, base_url))
    done = actions.compose_notice(visit.rt, visit.form)
    if isinstance(done, Proposal):
        return RedirectResponse(f"/console/reviews?proposed={done.id}", status_code=303)
    return RedirectResponse(f"/console/notices?saved={done.id}", status_code=303)
