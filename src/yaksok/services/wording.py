"""yaksok's standard wording, in each of the launch's languages (Korean, English, Japanese), for
notices it writes itself. Times are
written in each language's words by ``channels.when``, as every page and message writes them
(Korean: ``2010년 11월 9일 (화) 오후 8:00 KST (11:00 UTC)``; English keeps the domain's own)."""

from __future__ import annotations

from datetime import datetime, timedelta

from yaksok.channels.when import describe as in_words
from yaksok.domain.launch import Launch, Milestone
from yaksok.domain.promise import ChangeKind, Precision, Promise, PromiseVersion
from yaksok.domain.reminder import Reminder
from yaksok.domain.texts import DEFAULT_LANGUAGES, pick_text


def _when(promise: Promise | None, lang: str) -> str:
    return in_words(promise, lang)


def promise_notice(
    launch: Launch, milestone: Milestone, version: PromiseVersion, previous: Promise | None
) -> tuple[dict[str, str], dict[str, str]]:
    """Titles and bodies for the notice that announces a new promise version."""
    placeholder = "{{milestone:" + milestone.id + "}}"
    titles: dict[str, str] = {}
    bodies: dict[str, str] = {}
    for lang in launch.languages:
        name = f"{launch.title(lang)} — {milestone.title(lang)}"
        if previous is None:
            titles[lang] = f"{name}: {_when(version.promise, lang)}"
            bodies[lang] = {
                "ko": f"**{name}** 일정: {placeholder}.",
                "ja": f"**{name}** の日程: {placeholder}。",
            }.get(lang, f"**{name}**: {placeholder}.")
            if version.promise.precision is not Precision.EXACT:
                bodies[lang] += {
                    "ko": " 정확한 시각은 아직 발표되지 않았습니다. 발표되면 이곳에 가장 먼저 알려 드립니다.",
                    "ja": " 正確な時刻はまだ発表されていません。発表され次第、ここで最初にお知らせします。",
                }.get(lang, " The exact time is not yet announced; it will be announced here first.")
        else:
            titles[lang] = _change_title(name, version, lang)
            bodies[lang] = _change_body(placeholder, version, previous, lang)
    return titles, bodies


def _change_title(name: str, version: PromiseVersion, lang: str) -> str:
    kind = version.change_kind or ChangeKind.CLARIFY
    if lang == "ko":
        word = {"delay": "연기", "advance": "앞당김", "cancel": "취소", "clarify": "일정 확정"}[kind.value]
        return f"[{word}] {name}"
    if lang == "ja":
        word = {"delay": "延期", "advance": "前倒し", "cancel": "中止", "clarify": "日時確定"}[kind.value]
        return f"【{word}】{name}"
    words = {"delay": "Postponed", "advance": "Brought forward", "cancel": "Cancelled", "clarify": "Time set"}
    return f"{words[kind.value]}: {name}"


def _change_body(placeholder: str, version: PromiseVersion, previous: Promise, lang: str) -> str:
    old = _when(previous, lang)
    reason = pick_text(version.reason, lang)
    if lang == "ko":
        lines = [f"이전 일정: {old}", f"새 일정: {placeholder}"]
        if reason:
            lines.append(f"사유: {reason}")
        if version.change_kind in (ChangeKind.DELAY, ChangeKind.CANCEL):
            lines.append("약속드린 일정을 지키지 못해 죄송합니다.")
        return "\n\n".join(lines)
    if lang == "ja":
        lines = [f"以前の日程: {old}", f"新しい日程: {placeholder}"]
        if reason:
            lines.append(f"理由: {reason}")
        if version.change_kind in (ChangeKind.DELAY, ChangeKind.CANCEL):
            lines.append("お約束した日程を守れず、申し訳ありません。")
        return "\n\n".join(lines)
    lines = [f"Previously: {old}", f"Now: {placeholder}"]
    if reason:
        lines.append(f"Reason: {reason}")
    if version.change_kind in (ChangeKind.DELAY, ChangeKind.CANCEL):
        lines.append("We are sorry that we could not keep the time we promised.")
    return "\n\n".join(lines)


def no_change_notice(
    titles: dict[str, str],
    since: datetime | None,
    next_slot: datetime,
    zone: str,
    languages: tuple[str, ...] = DEFAULT_LANGUAGES,
) -> tuple[dict[str, str], dict[str, str]]:
    """The standard cadence update when the operator wrote none for a slot, in ``languages``."""
    nxt = Promise.exact(next_slot, zone)
    every = {
        "ko": (
            (f"{_when(Promise.exact(since, zone), 'ko')} 이후 " if since else "")
            + f"변경 사항이 없습니다. 다음 업데이트: {_when(nxt, 'ko')}."
        ),
        "en": (
            "No change"
            + (f" since {_when(Promise.exact(since, zone), 'en')}" if since else "")
            + f". Next update at {_when(nxt, 'en')}."
        ),
        "ja": (
            (f"{_when(Promise.exact(since, zone), 'ja')} 以降、" if since else "")
            + f"変更はありません。次回の更新: {_when(nxt, 'ja')}。"
        ),
    }
    bodies = {lang: every[lang] for lang in languages}
    return {lang: text for lang, text in titles.items() if text}, bodies


def broken_promise_note(milestone: Milestone, version: PromiseVersion, lang: str) -> str:
    when = _when(version.promise, lang)
    if lang == "ko":
        return f"{milestone.title(lang)}: 약속한 일정({when})이 지났지만 이루어지지 않았습니다."
    if lang == "ja":
        return f"{milestone.title(lang)}: 約束した日時（{when}）を過ぎましたが、実現しませんでした。"
    return f"{milestone.title(lang)}: the promised time ({when}) passed and it did not happen."


def _duration(span: timedelta, lang: str) -> str:
    minutes = max(round(span.total_seconds() / 60), 1)
    hours, minutes = divmod(minutes, 60)
    if lang == "ko":
        return " ".join(
            part for part in (f"{hours}시간" if hours else "", f"{minutes}분" if minutes else "") if part
        )
    if lang == "ja":
        return f"{hours}時間" * bool(hours) + f"{minutes}分" * bool(minutes)
    if hours and minutes:
        return f"{hours} h {minutes} min"
    return f"{hours} h" if hours else f"{minutes} min"


def reminder_notice(
    launch: Launch, reminder: Reminder, now: datetime
) -> tuple[dict[str, str], dict[str, str]]:
    """Titles and bodies of a reminder, e.g. "Reminder: KT iPad — Pre-orders open in 24 h —
    2010-11-09 20:00 KST (11:00 UTC)"; one sent late says so, and how long is really left."""
    late = reminder.lateness(now)
    left = reminder.offset if late is None else reminder.at - now
    version = reminder.milestone.current
    assert version is not None
    titles: dict[str, str] = {}
    bodies: dict[str, str] = {}
    for lang in launch.languages:
        name = f"{launch.title(lang)} — {reminder.milestone.title(lang)}"
        when = _when(version.promise, lang)
        if lang == "ko":
            titles[lang] = f"[{'늦은 알림' if late else '알림'}] {name}: {_duration(left, lang)} 후 — {when}"
            bodies[lang] = f"**{name}**: {when}."
            if late:
                bodies[lang] += f" 이 알림은 예정보다 {_duration(late, lang)} 늦게 보내 드립니다."
        elif lang == "ja":
            word = "遅れたお知らせ" if late else "リマインダー"
            titles[lang] = f"[{word}] {name}: あと{_duration(left, lang)} — {when}"
            bodies[lang] = f"**{name}**: {when}。"
            if late:
                bodies[lang] += f" このお知らせは予定より{_duration(late, lang)}遅れてお送りしています。"
        else:
            word = "Reminder (sent late)" if late else "Reminder"
            titles[lang] = f"{word}: {name} in {_duration(left, lang)} — {when}"
            bodies[lang] = f"**{name}**: {when}."
            if late:
                bodies[lang] += f" This reminder is {_duration(late, lang)} later than planned."
    return titles, bodies


def opening_notice(launch: Launch, opens: Milestone) -> tuple[dict[str, str], dict[str, str]]:
    """Titles and bodies announcing that the pre-order opened at its promised time."""
    assert opens.promise is not None
    titles: dict[str, str] = {}
    bodies: dict[str, str] = {}
    for lang in launch.languages:
        when = _when(opens.promise, lang)
        if lang == "ko":
            titles[lang] = f"{launch.title(lang)} 사전 예약이 열렸습니다 — {when}"
            bodies[lang] = (
                f"약속한 시각({when})에 사전 예약을 시작했습니다. 예약은 도착한 순서대로 받으며, "
                "예약마다 받은 조회 주소에서 순번과 상태를 확인할 수 있습니다."
            )
        elif lang == "ja":
            titles[lang] = f"{launch.title(lang)} の予約受付を開始しました — {when}"
            bodies[lang] = (
                f"約束した時刻（{when}）に予約受付を開始しました。予約は到着順に受け付け、"
                "各予約の照会リンクで順番と状況を確認できます。"
            )
        else:
            titles[lang] = f"{launch.title(lang)}: pre-orders are open — {when}"
            bodies[lang] = (
                f"Pre-orders opened at the promised time ({when}). Reservations are taken in order of "
                "arrival; each one's lookup link shows its place in line and its status."
            )
    return titles, bodies
