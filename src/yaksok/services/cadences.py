"""Cadences: at each slot, the operator's update or yaksok's standard "no change" notice."""

from __future__ import annotations

from datetime import datetime, time

from yaksok.domain import codes
from yaksok.domain.cadence import Cadence, parse_weekdays
from yaksok.domain.commands import CreateCadence, EndCadence
from yaksok.domain.errors import Conflict, InvalidInput, NotFound
from yaksok.domain.launch import Launch
from yaksok.domain.notice import Notice, NoticeKind, NoticeState
from yaksok.domain.texts import DEFAULT_LANGUAGES
from yaksok.services import ledger, scope, shipping_news, wording
from yaksok.services.launches import get_launch
from yaksok.services.notices import publish_in
from yaksok.services.runtime import Runtime
from yaksok.store.port import Transaction


def create_cadence(rt: Runtime, command: CreateCadence) -> Cadence:
    """A recurring update slot, e.g. weekdays at 10:00 in the launch's zone."""
    try:
        local_time = time.fromisoformat(command.at)
    except ValueError as exc:
        raise InvalidInput(
            f"cannot read {command.at!r} as a time of day (HH:MM)", code=codes.CADENCE_INVALID
        ) from exc
    now = rt.clock.now()
    launch_slug = command.launch_slug
    scope.require_launch(rt, launch_slug)
    with rt.store.write() as tx:
        launch = get_launch(tx, launch_slug)
        launch.own_texts(command.titles, "cadence title")
        cadence = Cadence(
            id=rt.new_id("c"),
            launch_slug=launch_slug,
            weekdays=parse_weekdays(command.weekdays),
            local_time=local_time,
            zone=launch.zone,
            titles=command.titles,
            kind=command.kind,
            last_slot_at=now,
        )
        tx.cadences.add(cadence, now)
        ledger.record(
            tx,
            rt,
            "cadence.created",
            {
                "cadence": cadence.id,
                "launch": launch_slug,
                "weekdays": list(cadence.weekdays),
                "at": local_time.strftime("%H:%M"),
                "zone": launch.zone,
                "first_slot": cadence.next_slot(now).isoformat(),
            },
        )
        return cadence


def end_cadence(rt: Runtime, command: EndCadence) -> Cadence:
    """Stop a cadence: no slot after now is filled. Recorded in the ledger, since customers were
    told to expect updates at those times."""
    cadence_id = command.cadence_id
    with rt.store.write() as tx:
        cadence = tx.cadences.get(cadence_id)
        if cadence is None:
            raise NotFound(f"no cadence {cadence_id!r}", code=codes.CADENCE_NOT_FOUND)
        scope.require_launch(rt, cadence.launch_slug)
        if not tx.cadences.deactivate(cadence_id):
            raise Conflict(f"cadence {cadence_id!r} has already ended", code=codes.CADENCE_ENDED)
        ledger.record(
            tx,
            rt,
            "cadence.ended",
            {
                "cadence": cadence_id,
                "launch": cadence.launch_slug,
                "last_slot": None if cadence.last_slot_at is None else cadence.last_slot_at.isoformat(),
                "reason": command.reason.strip(),
            },
        )
        return cadence


def run_cadences(rt: Runtime) -> list[Notice]:
    """Fill every cadence slot that has come: each slot gets exactly one notice."""
    now = rt.clock.now()
    published: list[Notice] = []
    with rt.store.read() as tx:
        cadences = tx.cadences.active()
    for cadence in cadences:
        for slot in cadence.due_slots(now, cadence.last_slot_at or now):
            with rt.store.write() as tx:
                fresh = tx.cadences.claim_active(cadence.id)
                if fresh is None or not tx.cadences.mark_slot(cadence.id, slot):
                    continue  # the cadence ended meanwhile, or another worker filled this slot
                published.append(_fill_slot(tx, rt, fresh, slot))
    return published


def _fill_slot(tx: Transaction, rt: Runtime, cadence: Cadence, slot: datetime) -> Notice:
    launch = tx.launches.get(cadence.launch_slug)
    reviewed = launch is not None and launch.policy.review_required
    written = [
        n
        for n in tx.notices.claim_pending_for_cadence(cadence.id)
        if (n.publish_at is None or n.publish_at <= slot)
        # On a launch under review, a draft was not approved: only a scheduled notice was.
        and not (reviewed and n.state is NoticeState.DRAFT)
    ]
    next_slot = cadence.next_slot(slot)
    news = None
    if launch is not None and cadence.kind is NoticeKind.SHIPPING_UPDATE:
        news = shipping_news.at_slot(tx, launch, slot)
    if written:
        notice = written[0]
        if notice.next_update_at is None:
            notice = notice.edit(next_update_at=next_slot)
        if news is not None and launch is not None:
            notice = notice.edit(bodies=_with_news(notice.bodies, news, launch, next_slot))
        if notice.publish_at is None:
            notice = notice.schedule(slot, slot)
        return publish_in(tx, rt, notice)
    previous = tx.notices.last_published_for_cadence(cadence.id)
    since = None if previous is None else previous.publish_at
    if news is not None and launch is not None and (news.told or news.unreachable):
        titles = {lang: text for lang, text in cadence.titles.items() if text}
        bodies = _with_news({lang: "" for lang in titles}, news, launch, next_slot)
    else:
        languages = DEFAULT_LANGUAGES if launch is None else launch.languages
        titles, bodies = wording.no_change_notice(cadence.titles, since, next_slot, cadence.zone, languages)
        if news is not None and launch is not None:
            bodies = _with_news(bodies, news, launch, next_slot)
    notice = Notice(
        id=rt.new_id("n"),
        kind=cadence.kind,
        titles=titles,
        bodies=bodies,
        created_at=rt.clock.now(),
        launch_slug=cadence.launch_slug,
        cadence_id=cadence.id,
        next_update_at=next_slot,
    ).schedule(slot, slot)
    tx.notices.add(notice)
    return publish_in(tx, rt, notice)


def _with_news(
    bodies: dict[str, str], news: shipping_news.ShippingNews, launch: Launch, next_slot: datetime
) -> dict[str, str]:
    """Each language's body followed by yaksok's summary of who ships when."""
    return {
        lang: "\n\n".join(
            part
            for part in (text.strip(), shipping_news.summary_section(news, launch, next_slot, lang))
            if part
        )
        for lang, text in bodies.items()
    }
